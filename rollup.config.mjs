import commonjs from '@rollup/plugin-commonjs';
import json from '@rollup/plugin-json';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import typescript from '@rollup/plugin-typescript';
import license from 'rollup-plugin-license';

// Two entry points, one shared engine: the action (dist/index.js) and the CLI (dist/cli.js).
export default {
  input: { index: 'src/action/main.ts', cli: 'src/cli/main.ts' },
  output: {
    dir: 'dist',
    format: 'es',
    entryFileNames: '[name].js',
    chunkFileNames: '[name].js',
    sourcemap: false,
  },
  plugins: [
    typescript({ tsconfig: './tsconfig.build.json' }),
    nodeResolve({ preferBuiltins: true, exportConditions: ['node'] }),
    commonjs(),
    json(),
    license({ thirdParty: { output: 'dist/licenses.txt' } }),
  ],
  onwarn(warning, warn) {
    // @actions/* and Octokit use `this` at module level in their CommonJS-era helpers.
    if (warning.code === 'THIS_IS_UNDEFINED') return;
    if (warning.code === 'CIRCULAR_DEPENDENCY' && /node_modules/.test(warning.message)) return;
    warn(warning);
  },
};
