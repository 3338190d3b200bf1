import commonjs from '@rollup/plugin-commonjs';
import json from '@rollup/plugin-json';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import typescript from '@rollup/plugin-typescript';
import license from 'rollup-plugin-license';

// Where the bundle goes: dist/ (committed), or elsewhere to compare a fresh build with it.
const outDir = process.env.CMG_DIST_DIR ?? 'dist';
// CMG_ENTRIES=cli builds one entry alone.
const entries = { index: 'src/action/main.ts', cli: 'src/cli/main.ts' };
const input = process.env.CMG_ENTRIES
  ? Object.fromEntries(process.env.CMG_ENTRIES.split(',').map((e) => [e, entries[e]]))
  : entries;

// Two entry points, one shared engine: the action (dist/index.js) and the CLI (dist/cli.js).
export default {
  input,
  output: {
    dir: outDir,
    format: 'es',
    entryFileNames: '[name].js',
    chunkFileNames: 'shared-[name].js',
    sourcemap: false,
  },
  plugins: [
    typescript({
      tsconfig: './tsconfig.build.json',
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', outDir },
    }),
    nodeResolve({ preferBuiltins: true, exportConditions: ['node'] }),
    commonjs(),
    json(),
    license({ thirdParty: { output: `${outDir}/licenses.txt` } }),
  ],
  onwarn(warning, warn) {
    // @actions/* and Octokit use `this` at module level in their CommonJS-era helpers.
    if (warning.code === 'THIS_IS_UNDEFINED') return;
    if (warning.code === 'CIRCULAR_DEPENDENCY' && /node_modules/.test(warning.message)) return;
    warn(warning);
  },
};
