import { setFlagsFromString } from 'node:v8';

/**
 * Keeps V8's young generation at its first size (1 MiB semi-spaces) for the rest of the run:
 * for `expand` alone.
 *
 * `expand` reads one tree, keeps most of what it reads (the tree, its tokens, the catalog) and
 * then writes. V8 doubles the young generation at each scavenge that finds it full, up to
 * 16 MiB semi-spaces, and for such a run the pages that touches cost more than the collections
 * they save: kept small, `expand` of QEMU 7.2 or 10.2.2 peaks at about 100 MiB instead of 125
 * and takes about a tenth less time (scripts/bench.mjs). Runs that compare catalogs are the
 * opposite: with 1 MiB their survivors are copied so often that a check of the 7.2 -> 10.0.2
 * release diff took 5.8-7.9 s instead of 3.4-3.7 s and more memory, and a range audit a tenth
 * longer. They are left to V8.
 *
 * The size cannot be changed once V8 runs, but the growth factor can. Only on V8 11 (Node 20),
 * where this was measured: newer V8s size the young generation by other rules.
 */
export function keepYoungGenerationSmall(): void {
  if (process.versions.v8.startsWith('11.')) setFlagsFromString('--semi-space-growth-factor=1');
}
