/** Jest runs the TypeScript sources directly as ES modules through ts-jest. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  resolver: 'ts-jest-resolver',
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151001] } },
    ],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // Real QEMU sources, git repositories and processes: give slow machines room.
  testTimeout: 120000,
};
