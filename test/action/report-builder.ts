import type { Finding, FindingClass, Report } from '../../src/report/finding.js';

/** Findings as the engine hands them over, for tests of what the action does with them. */
export function finding(over: Partial<Finding> & Pick<Finding, 'fingerprint' | 'location'>): Finding {
  const cls: FindingClass = over.class ?? 'new-model-required';
  return {
    rule:
      cls === 'type-2'
        ? 'machine-type-host-requirement'
        : cls === 'safe'
          ? 'model-added'
          : 'released-model-changed',
    class: cls,
    verdict: cls === 'safe' ? 'pass' : 'fail',
    title: `Skylake-Server gains pku on released machine types`,
    message: 'The released model Skylake-Server now turns on pku for pc-q35-7.1 and older.',
    models: ['Skylake-Server', 'Skylake-Server-v1'],
    machineTypes: ['pc-q35-7.1', 'pc-i440fx-7.1'],
    property: 'pku',
    before: false,
    after: true,
    hostRequirement: { gained: ['pku'], why: 'needs the host CPU' },
    fix: 'Add a new model version with pku instead of editing the released definition.',
    ...over,
  };
}

export function report(findings: Finding[], over: Partial<Report> = {}): Report {
  const counts = { safe: 0, 'type-2': 0, 'new-model-required': 0, waived: 0, review: 0 };
  for (const f of findings) {
    counts[f.class]++;
    if (f.verdict === 'waived') counts.waived++;
  }
  return {
    tool: { name: 'cpu-model-guard', version: '0.1.0' },
    mode: 'check',
    catalog: { format: 'qemu-x86', path: '.' },
    base: { ref: 'main', commit: 'a'.repeat(40) },
    head: { ref: 'topic', commit: 'b'.repeat(40) },
    release: { ref: 'v7.1.0', explanation: 'entries in v7.1.0 are released' },
    failOn: 'type-2',
    result: findings.some((f) => f.verdict === 'fail') ? 'fail' : 'pass',
    counts,
    findings,
    notes: [],
    unusedWaivers: [],
    ...over,
  };
}
