// Native ESM jest (chalk, ora, execa and client-node are ESM-only); swc strips types, tsc type-checks separately.
export default {
  testEnvironment: 'node',
  // Jest 30 "soft-deletes" a test file's globals when the file ends, and its setter for a soft-deleted
  // data property calls itself (jest-util deleteProperty): when a child process a finished file started
  // (execa, signal-exit's emitter) exits later, the worker dies with "Maximum call stack size exceeded".
  testEnvironmentOptions: { globalsCleanup: 'off' },
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['@swc/jest', {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'es6' },
      sourceMaps: 'inline',
    }],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/support/fast-check-seed.ts'],
  testTimeout: 60000,
};
