/**
 * Progress lines on standard error: rewritten in place on a terminal, a line per step in a log.
 */
import { describe, expect, test } from '@jest/globals';
import { commitProgress, verifyProgress } from '../../src/cli/progress.js';
import type { VerifyStep } from '../../src/source/verify-binaries.js';

function stream(isTTY: boolean): { isTTY: boolean; write: (t: string) => boolean; text: () => string } {
  const parts: string[] = [];
  return { isTTY, write: (t) => parts.push(t) > 0, text: () => parts.join('') };
}

/** What verifyBinaries tells of `total` guests, two at a time. */
function guests(total: number): VerifyStep[] {
  const steps: VerifyStep[] = [];
  let started = 0;
  let finished = 0;
  const tell = () => steps.push({ phase: 'guests', started, finished, total });
  while (finished < total) {
    while (started < total && started - finished < 2) {
      started++;
      tell();
    }
    finished++;
    tell();
  }
  return steps;
}

describe('verify progress', () => {
  test('in a log: a line as the phase begins and at each tenth finished', () => {
    const log = stream(false);
    const progress = verifyProgress(log);
    for (const s of guests(40)) progress.step(s);
    progress.done();
    const lines = log.text().split('\n').filter(Boolean);
    expect(lines[0]).toBe('cpu-model-guard: verify: CPUID guests finished: 0 of 40 (1 running)');
    expect(lines.slice(1)).toEqual(
      [4, 8, 12, 16, 20, 24, 28, 32, 36, 40].map(
        (n) => `cpu-model-guard: verify: CPUID guests finished: ${n} of 40 (${n === 40 ? 0 : 1} running)`,
      ),
    );
    expect(log.text()).not.toContain('\r');
  });

  test('on a terminal: every step in place, the line cleared at the end', () => {
    const tty = stream(true);
    const progress = verifyProgress(tty);
    const steps = guests(3);
    for (const s of steps) progress.step(s);
    progress.done();
    expect(tty.text().split('\r\x1b[K').filter(Boolean)).toHaveLength(steps.length);
    expect(tty.text().endsWith('guests finished: 3 of 3 (0 running)\r\x1b[K')).toBe(true);
    expect(tty.text()).not.toContain('\n');
  });

  test('a range audit: a line per commit in a log', () => {
    const log = stream(false);
    const progress = commitProgress(log);
    progress.step({ index: 1, total: 2, commit: '0123456789abcdef' });
    progress.step({ index: 2, total: 2, commit: 'fedcba9876543210' });
    progress.done();
    expect(log.text()).toBe(
      'cpu-model-guard: checking commit 1 of 2 (0123456789ab)\ncpu-model-guard: checking commit 2 of 2 (fedcba987654)\n',
    );
  });
});
