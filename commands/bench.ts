/** npm run bench: the speed and memory figures, each beside its baseline (testing/bench.ts). Its help: `command` below. */
import { CommandSpec } from "../operations/command-line";
import { bench } from "../testing/bench";
import { runCommand } from "./command";

export const command: CommandSpec = {
  name: "bench",
  summary: "Measure synth, deploy and the quick start",
  usage: ["[options]"],
  description: ["Each figure beside its baseline, measured in the same run; the results also in bench/results.json."],
  maxPositionals: 0,
  options: {
    runs: { type: "string", value: "N", default: "5", description: "how many runs of each measurement" },
    only: { type: "string", value: "SECTIONS", description: "some of quickstart,synth,deploy,scaling (default: all)" },
    "results-file": { type: "string", value: "FILE", description: "where the results go (used inside the namespace)", hidden: true },
    clone: { type: "string", value: "DIR", description: "the clone the quick start runs in (used inside the namespace)", hidden: true },
  },
  exitStatuses: [
    { name: "0", description: "measured" },
    { name: "1", description: "a measurement failed" },
    { name: "2", description: "bad input" },
  ],
};

if (require.main === module) {
  runCommand(
    command,
    async () => {
      await bench(process.argv.slice(2));
      return 0;
    },
    1,
  );
}
