/**
 * npm start [-- --once] [--stack cloudkoffer-v1|v2|v3] [--demo-dir <dir>] [--prefix 127.77.0]
 *
 * The stack deployed to a simulated Cloudkoffer on loopback addresses, a
 * table of its nodes, and the simulated case kept up until Ctrl-C
 * (testing/demo.ts).
 * Exit status: 0 after the table (--once) or after Ctrl-C; 1 when the deploy
 * failed; 2 for bad input; 3 no way to the providers.
 */
import { start } from "../testing/demo";
import { runCommand } from "./command";

runCommand("start", () => start(process.argv.slice(2)));
