import { createInterface } from "readline";

/**
 * Asks on the terminal before something that cannot be undone; anything but
 * "yes" is no. Without a terminal (a script, CI) the answer is no, and the
 * command's `--yes` is named as the way to confirm.
 */
export async function askOnTerminal(command: string, question: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    console.error(`${question}\n${command}: no terminal to answer on: --yes confirms in a script`);
    return false;
  }
  const terminal = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await new Promise<string>((resolve) => terminal.question(`${question} Type yes: `, resolve));
  terminal.close();
  return answer.trim() === "yes";
}
