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

const LAZY_LIBRARIES = ['yaml', 'ajv', 'ajv-formats', 'fast-xml-parser', 'simple-git'];

// Two entry points, one shared engine: the action (dist/index.js) and the CLI (dist/cli.js).
export default {
  input,
  output: {
    dir: outDir,
    format: 'es',
    entryFileNames: '[name].js',
    chunkFileNames: 'shared-[name].js',
    // The libraries only some runs need, each in a chunk named after it that loads with the
    // first run that needs it (src/config/config.ts, src/engine.ts, src/source/git-source.ts):
    // evaluating them is a good part of a short run's start.
    manualChunks(id) {
      // The CommonJS interop helpers every converted library shares stay out of them.
      if (id.startsWith('\0commonjsHelpers')) return 'commonjs-helpers';
      return LAZY_LIBRARIES.find((name) => id.includes(`/node_modules/${name}/`));
    },
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
