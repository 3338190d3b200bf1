#!/usr/bin/env node
import { run } from './cli.js';

// A reader that stops early (`| head`) closes the pipe: that is not an error of the run.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

process.exitCode = await run(process.argv.slice(2));
