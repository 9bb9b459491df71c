/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: {
    // Transpile only: `npm run lint` (tsc --noEmit) type-checks everything once.
    "^.+\\.ts$": ["ts-jest", { diagnostics: false }],
  },
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup.ts"],
  collectCoverageFrom: ["lib/**/*.ts", "main.ts"],
  coveragePathIgnorePatterns: ["/node_modules/", "/.gen/"],
  testTimeout: 120000,
  // Two test files at a time: most of a test's time is spent waiting on simulated nodes,
  // terraform and cdktf, not on the CPU.
  maxWorkers: 2,
};
