/** Two projects: unit specs next to the code, end-to-end specs in test/. */
const shared = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  // `@signet/<lib>/testing`: a library's test doubles and builders, never part of the production build.
  moduleNameMapper: {
    '^@signet/([^/]+)/testing$': '<rootDir>/libs/$1/src/testing',
    '^@signet/([^/]+)$': '<rootDir>/libs/$1/src',
  },
  // Type checking is `npm run typecheck`; jest only transpiles, which keeps the suite fast.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
};

module.exports = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/build-once.js',
      setupFilesAfterEnv: ['<rootDir>/test/support/e2e-timeout.js'],
    },
  ],
};
