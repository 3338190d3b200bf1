import { setFlagsFromString } from 'node:v8';
import type { EngineStage } from '../engine.js';

/*
 * V8 doubles its young generation at each scavenge that finds it full, from 1 MiB semi-spaces
 * up to 16 MiB. Whether that pays depends on what the run allocates:
 * - Reading a tree keeps most of what it makes (the tree, its tokens, the catalog). A young
 *   generation that grows only delays promotions that come anyway, and every page it grows by
 *   is fresh memory: on the bench's machine (scripts/bench.mjs) a fresh page costs about 13 µs,
 *   so 16 MiB semi-spaces cost about a tenth of a second in page faults alone.
 * - Comparing catalogs makes survivors that die a little later. With 1 MiB they are copied and
 *   promoted over and over: a check of the 7.2 -> 10.0.2 release diff took 4.8 s instead of
 *   2.9 s, with nearly twice the memory.
 * So the young generation is kept at its size while catalogs are read and left to V8's own
 * growth while they are compared.
 *
 * The size cannot be changed once V8 runs, but the growth factor can, and it takes effect at
 * the next scavenge. Only on V8 11 (Node 20), where this was measured: newer V8s size the
 * young generation by other rules.
 */
const TUNABLE = process.versions.v8.startsWith('11.');
/** V8 11's own growth factor. */
const V8_GROWTH = 2;

function growthFactor(factor: number): void {
  if (TUNABLE) setFlagsFromString(`--semi-space-growth-factor=${factor}`);
}

/** For `expand`, which reads one tree and writes: small for the whole run. */
export function keepYoungGenerationSmall(): void {
  growthFactor(1);
}

/** For `check` and `audit` (the engine's `onStage`): small while reading, V8's while comparing. */
export function sizeYoungGenerationFor(stage: EngineStage): void {
  growthFactor(stage === 'read' ? 1 : V8_GROWTH);
}
