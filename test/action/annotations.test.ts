import { describe, expect, it } from '@jest/globals';
import { ANNOTATIONS_SHOWN_PER_LEVEL, planAnnotations } from '../../src/action/annotations.js';
import { finding, report } from './report-builder.js';

const at = (line: number) => ({ path: 'target/i386/cpu.c', line, side: 'RIGHT' as const });

describe('annotations', () => {
  it('shows the worst first, within 10 errors and 10 warnings, and counts the rest in one notice', () => {
    const findings = [
      ...Array.from({ length: 8 }, (_, i) =>
        finding({ fingerprint: `t2-${i}`, class: 'type-2', location: at(100 + i) }),
      ),
      ...Array.from({ length: 7 }, (_, i) => finding({ fingerprint: `nmr-${i}`, location: at(10 + i) })),
      ...Array.from({ length: 12 }, (_, i) =>
        finding({ fingerprint: `waived-${i}`, class: 'type-2', verdict: 'waived', location: at(200 + i) }),
      ),
      finding({ fingerprint: 'safe', class: 'safe', verdict: 'pass', location: at(300) }),
    ];
    const planned = planAnnotations(report(findings));
    const errors = planned.filter((a) => a.level === 'error');
    const warnings = planned.filter((a) => a.level === 'warning');
    expect(errors).toHaveLength(ANNOTATIONS_SHOWN_PER_LEVEL);
    expect(warnings).toHaveLength(ANNOTATIONS_SHOWN_PER_LEVEL);
    // All seven new-model-required findings come before any type-2 one.
    expect(errors.slice(0, 7).every((a) => a.title.startsWith('new-model-required'))).toBe(true);
    expect(errors.slice(7).every((a) => a.title.startsWith('type-2'))).toBe(true);
    expect(warnings.every((a) => a.title === 'type-2 (waived): machine-type-host-requirement')).toBe(true);
    const notices = planned.filter((a) => a.level === 'notice');
    expect(notices).toHaveLength(1);
    expect(notices[0]!.message).toBe(
      '7 more findings (5 failing, 2 not failing) beyond what GitHub shows as annotations: see the job summary.',
    );
    expect(planned.some((a) => a.startLine === 300)).toBe(false);
  });

  it('points at the file and lines of head, and only at the file for a line that exists in base alone', () => {
    const planned = planAnnotations(
      report([
        finding({
          fingerprint: 'a',
          location: { path: 'target/i386/cpu.c', line: 40, endLine: 44, side: 'RIGHT' },
        }),
        finding({ fingerprint: 'b', location: { path: 'target/i386/cpu.c', line: 90, side: 'LEFT' } }),
      ]),
    );
    expect(planned[0]).toMatchObject({ file: 'target/i386/cpu.c', startLine: 40, endLine: 44 });
    expect(planned[1]).toMatchObject({ file: 'target/i386/cpu.c' });
    expect(planned[1]!.startLine).toBeUndefined();
    expect(planned[1]!.message).toContain('line 90 of the base revision');
    expect(planned.some((a) => a.level === 'notice')).toBe(false);
  });
});
