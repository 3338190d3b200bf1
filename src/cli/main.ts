#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';
import { run } from './cli.js';

// A run is short and keeps most of what it reads (the trees, their tokens, the catalog): V8's
// young generation, doubled at each collection that finds it full, grows to tens of megabytes
// that survivors are copied through, and the pages it touches cost the process more than the
// collections saved. Kept at its first size, `expand` of QEMU 7.2 peaks at 100 MiB instead of
// 125 and uses a tenth less CPU time. Node 20's V8 (11.x) is where this was measured; newer
// ones size the young generation by other rules, so it is left to them.
if (process.versions.v8.startsWith('11.')) setFlagsFromString('--semi-space-growth-factor=1');

// A reader that stops early (`| head`) closes the pipe: that is not an error of the run.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

process.exitCode = await run(process.argv.slice(2));
