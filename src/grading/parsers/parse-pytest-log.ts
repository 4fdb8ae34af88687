import type { GradingRules } from "../rules.js";
import type { StatusMap, TestStatus } from "../test-status.js";
import { splitWords, startsWithStatus, TEST_STATUSES } from "./split-words.js";

const SKIP_SUMMARY_COUNT = /^\[\d+\]$/;

/** `SKIPPED [2] path:line: reason` is pytest's skip summary, not a test (harness v5 only, #598). */
function isSkipSummary(status: string, name: string, rules: GradingRules): boolean {
  return rules === "v5" && status === "SKIPPED" && SKIP_SUMMARY_COUNT.test(name);
}

/** Reads `-rA` summary lines (`PASSED tests/x.py::test_a`); ids are cut at the first space. */
export function parsePytestLog(
  log: string,
  rules: GradingRules = "v5",
  rename = (id: string) => id,
  prepare = (line: string) => line,
): StatusMap {
  const statuses: StatusMap = new Map();
  for (const raw of log.split("\n")) {
    let line = prepare(raw);
    if (!startsWithStatus(line)) continue;
    if (line.startsWith("FAILED")) line = line.replaceAll(" - ", " ");
    const words = splitWords(line);
    const [status, name] = words;
    if (status === undefined || name === undefined) continue;
    if (isSkipSummary(status, name, rules)) continue;
    statuses.set(rename(name), status as TestStatus);
  }
  return statuses;
}

const OPTION = /(.*?)\[(.*)\]/;

/** Like pytest, but a parameter that is an absolute path is shortened to its last component. */
export function parsePytestOptionsLog(log: string, rules: GradingRules = "v5"): StatusMap {
  return parsePytestLog(log, rules, (name) => {
    const match = OPTION.exec(name);
    if (!match) return name;
    const main = match[1] ?? "";
    let option = match[2] ?? "";
    if (option.startsWith("/") && !option.startsWith("//") && !option.includes("*")) {
      option = `/${option.split("/").at(-1)}`;
    }
    return `${main}[${option}]`;
  });
}

/** matplotlib's ids print mouse buttons by value. */
export function parseMatplotlibLog(log: string, rules: GradingRules = "v5"): StatusMap {
  return parsePytestLog(
    log,
    rules,
    (name) => name,
    (line) => line.replaceAll("MouseButton.LEFT", "1").replaceAll("MouseButton.RIGHT", "3"),
  );
}

const CONTROL_CHARACTERS = /[\x01-\x1f]/g;

/**
 * pytest "v2" (astropy, scikit-learn, sphinx): colour codes and control characters stripped, and
 * old pytest's `name STATUS` lines read too (added in harness 2.0.12). Before v5 an id is one word
 * (`STATUS id` → the second word; `id STATUS` → the first); v5 keeps spaces in ids (#279) and
 * drops a FAILED line's ` - message` instead of splicing it in.
 */
export function parsePytestV2Log(log: string, rules: GradingRules = "v5"): StatusMap {
  const statuses: StatusMap = new Map();
  for (const raw of log.split("\n")) {
    let line = raw.replace(/\[(\d+)m/g, "").replace(CONTROL_CHARACTERS, "");
    if (startsWithStatus(line)) {
      if (rules === "v5") {
        if (line.startsWith("FAILED")) line = line.split(" - ")[0] ?? line;
        const words = splitWords(line);
        if (words.length >= 2 && !isSkipSummary(words[0] ?? "", words[1] ?? "", rules)) {
          statuses.set(words.slice(1).join(" "), words[0] as TestStatus);
        }
      } else {
        if (line.startsWith("FAILED")) line = line.replaceAll(" - ", " ");
        const words = splitWords(line);
        if (words.length >= 2) statuses.set(words[1] ?? "", words[0] as TestStatus);
      }
    } else if (TEST_STATUSES.some((status) => line.endsWith(status))) {
      const words = splitWords(line);
      if (words.length < 2) continue;
      if (rules !== "v5") {
        statuses.set(words[0] ?? "", words[1] as TestStatus);
      } else {
        statuses.set(words.slice(0, -1).join(" "), words.at(-1) as TestStatus);
      }
    }
  }
  return statuses;
}
