import { actionsRunner } from '../github/runner.js';
import { runAction } from './run.js';

// The runner starts dist/index.js with node; the exit code is what the step reports.
process.exitCode = await runAction(actionsRunner());
