import { readdirSync, readFileSync } from "fs";
import * as path from "path";

/** A process: its id and command name (as /proc/<pid>/stat says). */
export interface ProcessEntry {
  readonly pid: number;
  readonly command: string;
}

/**
 * Every process below `pid`, children before grandchildren, read from /proc
 * (none where there is no /proc). cdktf runs terraform in a pseudo-terminal,
 * in a session of its own, so a signal meant for a deploy's terraform must be
 * sent to it, not to the deploy's process group.
 */
export function descendants(pid: number): ProcessEntry[] {
  const children = new Map<number, ProcessEntry[]>();
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "pid (comm) state ppid ...": comm may hold spaces, so read around its parentheses.
      const stat = readFileSync(path.join("/proc", entry, "stat"), "utf8");
      const command = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), { pid: Number(entry), command }]);
    } catch {
      // gone meanwhile
    }
  }
  const found: ProcessEntry[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}
