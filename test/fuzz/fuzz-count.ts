/**
 * What a fuzz suite ran, printed with the seed so that a failure can be replayed
 * (`FUZZ_SEED=N npm test -- test/fuzz`), and held against the README's reliability table.
 */
import { expect } from '@jest/globals';
import { readmeRows } from '../support/readme-table.js';
import type { Mutation, Outcome } from './fuzz-support.js';
import { DEFAULT_FUZZ_SEED, FUZZ_SEED } from './fuzz-support.js';

export const RELIABILITY_SECTION = 'Reliability';

export function summary(suite: string, outcomes: { m: Mutation; o: Outcome }[]): string {
  const refused = outcomes.filter(({ o }) => o.kind === 'input-error').length;
  const crashed = outcomes.filter(({ o }) => o.kind === 'crash').length;
  return `fuzz ${suite}: ${outcomes.length} cases, seed ${FUZZ_SEED} (FUZZ_SEED replays): ${refused} refused, ${outcomes.length - refused - crashed} read, ${crashed} crashed`;
}

export function recordCases(suite: string, outcomes: { m: Mutation; o: Outcome }[]): void {
  console.log(summary(suite, outcomes));
}

/**
 * The README's row for a suite states its cases, seed, and how many were refused, for the
 * default seed (another seed runs other cases).
 */
export async function expectReadmeRow(row: string, outcomes: { m: Mutation; o: Outcome }[]): Promise<void> {
  if (FUZZ_SEED !== DEFAULT_FUZZ_SEED) return;
  const [cells] = await readmeRows(RELIABILITY_SECTION, row);
  const refused = outcomes.filter(({ o }) => o.kind === 'input-error').length;
  expect(cells?.slice(1, 4)).toEqual([String(outcomes.length), String(FUZZ_SEED), String(refused)]);
}
