/**
 * Two projects. `unit` (tests/unit) starts no server: no global setup, runs in seconds (`npm run test:unit`).
 * `integration` (everything else) gets the global setup: per Jest worker the real Temporal dev server and two MariaDB
 * servers, and the workflow bundle. `jest` alone runs both; `jest --selectProjects unit` (or `integration`) one of them.
 * Files run in parallel (`npm test` sets the workers: most of a file's time is spent waiting on servers).
 */
const recording = process.env.RECORD_HISTORIES === '1';
const shared = {
  rootDir: __dirname,
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.[tj]s$': ['ts-jest', { tsconfig: { isolatedModules: true, allowJs: true } }] },
  // A few of Fastify's dependencies ship only ES modules; jest's CommonJS runtime needs them compiled.
  transformIgnorePatterns: ['/node_modules/(?!(cookie|content-disposition)/)'],
  testTimeout: 120000,
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      roots: ['<rootDir>/tests/unit'],
    },
    {
      ...shared,
      displayName: 'integration',
      // The recorder overwrites tests/fixtures: only `npm run record-histories` runs it.
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/tests/unit/', ...(recording ? [] : ['/record-histories\\.test\\.ts$'])],
      setupFiles: ['<rootDir>/tests/setup-runtime.ts'],
      globalSetup: '<rootDir>/tests/global-setup.ts',
      globalTeardown: '<rootDir>/tests/global-teardown.ts',
    },
  ],
  testTimeout: 120000,
  testSequencer: '<rootDir>/tests/sequencer.js',
  // Never hang after the run: global-teardown names any child process a test left behind, then Jest exits.
  // (A run-wide option: it applies to both projects.)
  forceExit: true,
};
