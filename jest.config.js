/** @type {import('jest').Config} */
const project = {
  testEnvironment: "node",
  transform: {
    // Transpile only: `npm run lint` (tsc --noEmit) type-checks everything once.
    "^.+\\.ts$": ["ts-jest", { diagnostics: false }],
  },
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup.ts"],
};

module.exports = {
  projects: [
    // The pure logic: no Go build, terraform, network namespace or simulator (npm run test:unit).
    { ...project, displayName: "unit", roots: ["<rootDir>/__tests__/unit"], testMatch: ["**/*.test.ts"] },
    // The tiers: what needs the machine (see docs/development.md, Tests).
    {
      ...project,
      displayName: "tiers",
      roots: ["<rootDir>/__tests__"],
      testMatch: ["**/*.test.ts"],
      testPathIgnorePatterns: ["/node_modules/", "<rootDir>/__tests__/unit/"],
    },
  ],
  // A global option: jest ignores it inside a project.
  testTimeout: 120000,
  // The slowest files first on a fresh clone too (CI), from recorded durations.
  testSequencer: "<rootDir>/__tests__/support/test-sequencer.js",
  collectCoverageFrom: ["lib/**/*.ts", "operations/**/*.ts", "main.ts"],
  coveragePathIgnorePatterns: ["/node_modules/", "/.gen/"],
  // Two test files at a time: most of a test's time is spent waiting on simulated nodes,
  // terraform and cdktf, not on the CPU.
  maxWorkers: 2,
};
