/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts', '**/*.test.tsx'],
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript', tsx: true }, transform: { react: { runtime: 'automatic' } }, target: 'es2020' } }],
  },
  // The host modules exist only inside Photoshop; tests get the faithful fakes.
  moduleNameMapper: {
    '^photoshop$': '<rootDir>/test/fakes/photoshop.ts',
    '^uxp$': '<rootDir>/test/fakes/uxp.ts',
  },
  testTimeout: 60000,
  setupFiles: ['<rootDir>/test/helpers/fast-check-seed.ts'],
};
