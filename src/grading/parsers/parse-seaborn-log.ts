import type { StatusMap } from "../test-status.js";
import { splitWords } from "./split-words.js";

/** seaborn: `FAILED id`, `id PASSED [ 10%]` progress lines, and `PASSED id` summary lines. */
export function parseSeabornLog(log: string): StatusMap {
  const statuses: StatusMap = new Map();
  for (const line of log.split("\n")) {
    const parts = splitWords(line);
    if (parts.length < 2) continue;
    if (line.startsWith("FAILED")) statuses.set(parts[1] ?? "", "FAILED");
    else if (line.includes(" PASSED ")) {
      if (parts[1] === "PASSED") statuses.set(parts[0] ?? "", "PASSED");
    } else if (line.startsWith("PASSED")) statuses.set(parts[1] ?? "", "PASSED");
  }
  return statuses;
}
