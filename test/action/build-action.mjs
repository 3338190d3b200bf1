/**
 * Builds the action's bundle the way rollup.config.mjs does, into a folder of the caller's
 * choosing, so that tests run what the runner runs without touching the committed dist/.
 *
 *   node test/action/build-action.mjs OUT_DIR
 */
import path from 'node:path';
import process from 'node:process';
import { rollup } from 'rollup';
import typescript from '@rollup/plugin-typescript';
import config from '../../rollup.config.mjs';

const outDir = path.resolve(process.argv[2] ?? '');
if (!process.argv[2]) {
  process.stderr.write('usage: node test/action/build-action.mjs OUT_DIR\n');
  process.exit(2);
}
// The license plugin writes into dist/ by itself, and the TypeScript plugin insists that its
// outDir lie inside the bundle's: both are replaced, everything else is the release config.
const plugins = [
  typescript({ tsconfig: './tsconfig.build.json', outDir, module: 'NodeNext', noEmitOnError: true }),
  ...config.plugins.filter((p) => p.name !== 'typescript' && p.name !== 'rollup-plugin-license'),
];
const bundle = await rollup({ ...config, plugins });
await bundle.write({ ...config.output, dir: outDir });
await bundle.close();
