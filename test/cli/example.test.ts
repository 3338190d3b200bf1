/**
 * The README's first command runs scripts/example.sh: it must keep doing what the README says.
 */
import { expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { QEMU_X86_FILES } from '../../src/parse/qemu-x86/files.js';
import type { Report } from '../../src/report/finding.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('the example flags avx512f added to Haswell as new-model-required, with the version to add', () => {
  const r = spawnSync('bash', ['scripts/example.sh', '--format', 'json'], { cwd: root, encoding: 'utf8' });
  expect(r.status).toBe(1);
  const report = JSON.parse(r.stdout) as Report;
  expect(report.findings).toHaveLength(1);
  const [f] = report.findings;
  expect(f).toMatchObject({
    rule: 'released-model-changed',
    class: 'new-model-required',
    property: 'avx512f',
    verdict: 'fail',
  });
  expect(f!.models).toHaveLength(8);
  expect(f!.models).toEqual(expect.arrayContaining(['Haswell', 'Haswell-noTSX-IBRS']));
  expect(f!.machineTypes).toHaveLength(report.machineTypes!.length);
  expect(f!.fixLines?.text).toContain('.version = 5,');
});

test('the example copies every file the QEMU reader reads', () => {
  const script = readFileSync(`${root}/scripts/example.sh`, 'utf8');
  const list = /^files=\(([^)]*)\)/m.exec(script)![1]!.split(/\s+/).filter(Boolean);
  expect(list.sort()).toEqual(Object.values(QEMU_X86_FILES).sort());
});
