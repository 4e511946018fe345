/**
 * ts-jest transpiles each file alone (isolatedModules, tsconfig.json): `npm run typecheck` checks
 * the types first, and a type check per jest run took about 4 of its 5 seconds.
 */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/node/setup.ts'],
  transform: {'^.+\\.ts$': ['ts-jest', {tsconfig: 'tsconfig.jest.json'}]},
  testTimeout: 120000,
};
