import { setFlagsFromString } from 'node:v8';

/**
 * Keeps V8's young generation at its first size (1 MiB semi-spaces) for the rest of the run.
 *
 * A run that reads one snapshot keeps much of what it reads (the tree, its tokens, the catalog).
 * V8 doubles the young generation at each scavenge that finds it full, up to 16 MiB
 * semi-spaces, and the pages that touches cost this process more than the collections they
 * save: kept small, `expand` of QEMU 7.2 peaks at about 100 MiB instead of 125 and takes about
 * a tenth less time, `check` about 110 MiB instead of 135 (scripts/bench.mjs). A range audit
 * is the exception: it keeps re-reading commits, and with 1 MiB its survivors are copied so
 * often that it takes a tenth longer, so it is left to V8.
 *
 * The size cannot be changed once V8 runs, but the growth factor can. Only on V8 11 (Node 20),
 * where this was measured: newer V8s size the young generation by other rules.
 */
export function keepYoungGenerationSmall(): void {
  if (process.versions.v8.startsWith('11.')) setFlagsFromString('--semi-space-growth-factor=1');
}
