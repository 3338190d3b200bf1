import { describe, expect, it } from '@jest/globals';
import { DEFAULT_WAIVE_LABEL, envInputReader, parseInputs } from '../../src/action/inputs.js';
import { UsageError } from '../../src/errors.js';

const reader = (vars: Record<string, string>) =>
  envInputReader(Object.fromEntries(Object.entries(vars).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])));

describe('action inputs', () => {
  it('applies the documented defaults when the runner passes nothing', () => {
    const inputs = parseInputs(reader({}));
    expect(inputs).toEqual({
      githubToken: '',
      catalog: undefined,
      base: undefined,
      head: undefined,
      failOn: undefined,
      comment: 'review',
      releaseRef: undefined,
      config: undefined,
      jsonReport: undefined,
      sarifReport: undefined,
      statusContext: undefined,
      waiveLabel: DEFAULT_WAIVE_LABEL,
      apiTimeBudgetSeconds: 300,
      verifyMachines: [],
      verifyModels: [],
    });
  });

  it('reads verify globs one per line or comma-separated, and only beside both binaries', () => {
    const inputs = parseInputs(
      reader({
        'base-binary': 'qemu-system-x86_64',
        'head-binary': './qemu-new',
        'verify-machines': 'pc-q35-10.*\n  pc-i440fx-9.2\n',
        'verify-models': 'Haswell*, EPYC',
      }),
    );
    expect(inputs).toMatchObject({
      baseBinary: 'qemu-system-x86_64',
      headBinary: './qemu-new',
      verifyMachines: ['pc-q35-10.*', 'pc-i440fx-9.2'],
      verifyModels: ['Haswell*', 'EPYC'],
    });
    expect(() => parseInputs(reader({ 'verify-models': 'Haswell' }))).toThrow(
      /input verify-models is set without base-binary and head-binary/,
    );
  });

  it('reads hyphenated names the way the runner writes them (INPUT_FAIL-ON)', () => {
    const inputs = parseInputs(
      reader({
        'github-token': 'ghs_x',
        catalog: 'libvirt-cpu-map:src/cpu_map',
        'fail-on': 'new-model-required',
        'fail-on-review': 'true',
        comment: 'summary',
        'json-report': './out/report.json',
        'status-context': 'cpu-models',
        'waive-label': 'accept-type-2',
        'release-ref': 'v7.2.0',
        'api-time-budget': '2.5',
        config: './ci/cpu-model-guard.yml',
      }),
    );
    expect(inputs.config).toBe('ci/cpu-model-guard.yml');
    expect(inputs.apiTimeBudgetSeconds).toBe(2.5);
    expect(inputs.githubToken).toBe('ghs_x');
    expect(inputs.catalog).toEqual({ format: 'libvirt-cpu-map', path: 'src/cpu_map' });
    expect(inputs.failOn).toBe('new-model-required');
    expect(inputs.failOnReview).toBe(true);
    expect(parseInputs(reader({ 'fail-on-review': 'false' })).failOnReview).toBe(false);
    expect(inputs.comment).toBe('summary');
    expect(inputs.jsonReport).toBe('out/report.json');
    expect(inputs.statusContext).toBe('cpu-models');
    expect(inputs.waiveLabel).toBe('accept-type-2');
    expect(inputs.releaseRef).toBe('v7.2.0');
  });

  it.each([
    ['fail-on', 'warning', /input fail-on is "warning".*type-2, new-model-required, never/],
    ['comment', 'inline', /input comment is "inline"/],
    ['fail-on-review', 'yes', /input fail-on-review is "yes".*true, false/],
    ['catalog', 'qemu:.', /input catalog: unknown catalog format "qemu"/],
    [
      'catalog',
      'qemu-x86:../elsewhere',
      /input catalog: the catalog path \.\.\/elsewhere leaves the repository/,
    ],
    ['sarif-report', '/tmp/x.sarif', /input sarif-report .* leaves the workspace/],
    ['config', '../guard.yml', /input config .* leaves the workspace/],
    ['base', '--upload-pack=evil', /input base .* not a single git revision/],
    ['head', 'main..topic', /input head .* not a single git revision/],
    ['api-time-budget', '0', /input api-time-budget is "0", which is not a number of seconds above 0/],
    ['api-time-budget', '5m', /input api-time-budget is "5m"/],
  ])('rejects %s=%s with a message naming the input', (name, value, message) => {
    const read = reader({ [name]: value });
    expect(() => parseInputs(read)).toThrow(UsageError);
    expect(() => parseInputs(read)).toThrow(message);
  });

  it('takes a bare format as a catalog at the repository root', () => {
    expect(parseInputs(reader({ catalog: 'qemu-x86' })).catalog).toEqual({ format: 'qemu-x86', path: '.' });
    expect(parseInputs(reader({ catalog: 'catalog:models/cpus.yaml' })).catalog).toEqual({
      format: 'catalog',
      path: 'models/cpus.yaml',
    });
  });
});
