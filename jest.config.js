/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.[tj]s$': ['ts-jest', { tsconfig: { isolatedModules: true, allowJs: true } }] },
  // A few of Fastify's dependencies ship only ES modules; jest's CommonJS runtime needs them compiled.
  transformIgnorePatterns: ['/node_modules/(?!(cookie|content-disposition)/)'],
  setupFiles: ['<rootDir>/tests/setup-runtime.ts'],
  globalSetup: '<rootDir>/tests/global-setup.ts',
  globalTeardown: '<rootDir>/tests/global-teardown.ts',
  testTimeout: 120000,
  // Never hang after the run: global-teardown names any child process a test left behind, then Jest exits.
  forceExit: true,
};
