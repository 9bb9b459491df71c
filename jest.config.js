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
};
