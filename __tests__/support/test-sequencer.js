// Jest's order of test files, with what a fresh clone (CI) does not have: how
// long each tier file took. Jest runs the longest first to keep both workers
// busy to the end, but it knows durations only from its cache of earlier runs
// in the same folder; without them it goes by file size, and a small slow file
// last keeps one worker busy alone for minutes. test-durations.json holds the
// durations of a full run; jest's own cache, where there is one, comes first.
// Record them again after a full run (npm test) when suites change a lot:
//   node __tests__/support/test-sequencer.js --record
"use strict";
const fs = require("fs");
const path = require("path");
const Sequencer = require("@jest/test-sequencer").default;

const ROOT = path.resolve(__dirname, "..", "..");
const DURATIONS = path.join(__dirname, "test-durations.json");

/** Seconds per test file, relative to the project; none when the file is missing. */
function recorded() {
  try {
    return JSON.parse(fs.readFileSync(DURATIONS, "utf8"));
  } catch {
    return {};
  }
}

class RecordedDurationsFirst extends Sequencer {
  time(test) {
    const cached = super.time(test);
    if (cached !== undefined) return cached;
    const seconds = (this.recorded ??= recorded())[path.relative(ROOT, test.path)];
    return seconds === undefined ? undefined : seconds * 1000;
  }
}

/** Writes test-durations.json from jest's cache of this project's last runs. */
function record() {
  const { execFileSync } = require("child_process");
  const config = JSON.parse(execFileSync(path.join(ROOT, "node_modules", ".bin", "jest"), ["--showConfig"], { cwd: ROOT, encoding: "utf8" }));
  const durations = {};
  const HasteMap = require("jest-haste-map").default;
  for (const project of config.configs) {
    // Where jest's sequencer keeps it (@jest/test-sequencer's _getCachePath).
    const cache = HasteMap.getStatic(project).getCacheFilePath(project.cacheDirectory, `perf-cache-${project.id}`);
    if (!fs.existsSync(cache)) continue;
    for (const [file, [, ms]] of Object.entries(JSON.parse(fs.readFileSync(cache, "utf8")))) {
      if (!file.includes(`${path.sep}unit${path.sep}`)) durations[path.relative(ROOT, file)] = Math.round(ms / 100) / 10;
    }
  }
  const sorted = Object.fromEntries(Object.entries(durations).sort(([a], [b]) => (a < b ? -1 : 1)));
  fs.writeFileSync(DURATIONS, `${JSON.stringify(sorted, null, 2)}\n`);
  process.stdout.write(`test-sequencer: recorded ${Object.keys(sorted).length} durations in ${path.relative(ROOT, DURATIONS)}\n`);
}

if (require.main === module) {
  if (process.argv[2] !== "--record") {
    process.stderr.write("usage: node __tests__/support/test-sequencer.js --record\n");
    process.exit(2);
  }
  record();
}

module.exports = RecordedDurationsFirst;
