/**
 * npm run bench [-- --runs 5] [--only quickstart,synth,deploy,scaling]: the
 * speed and memory figures, each beside its baseline (testing/bench.ts).
 * Exit status: 0 measured; 1 a measurement failed.
 */
import { bench } from "../testing/bench";
import { runCommand } from "./command";

runCommand(
  "bench",
  async () => {
    await bench(process.argv.slice(2));
    return 0;
  },
  1,
);
