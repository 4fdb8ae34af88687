import type { Instance } from "../dataset/instance.js";
import { classifyEnvironmentFailure, type EnvBrokenReason } from "./env-broken-reasons.js";
import type { TestStatus } from "./test-status.js";

/** Why a candidate's test run says nothing about the candidate: its tests never ran. */
export interface TestsNeverRan {
  /** Why the environment could not run them (the red gate's taxonomy). */
  reason: EnvBrokenReason;
  /** The log lines that show it (at most a few). */
  evidence: string[];
}

/**
 * The environment's failure when none of the instance's tests ran (an import or collection error,
 * an interpreter crash, no test executed), or undefined when some ran or the failure is the
 * candidate's own: a traceback through a file it changes, or an import of the repository's own
 * code. A harness-style grader calls such a run "unresolved"; it is no verdict on the patch.
 */
export function testsNeverRan(options: {
  instance: Pick<Instance, "repo" | "FAIL_TO_PASS" | "PASS_TO_PASS">;
  patch: string;
  log: string;
  tests: Record<string, TestStatus | "missing">;
}): TestsNeverRan | undefined {
  const ids = [...options.instance.FAIL_TO_PASS, ...options.instance.PASS_TO_PASS];
  // ERROR counts as not run: a collection error marks every test of the module as ERROR.
  if (ids.some((id) => options.tests[id] !== undefined && !["missing", "ERROR"].includes(options.tests[id])))
    return undefined;
  const changed = changedFiles(options.patch);
  const found = classifyEnvironmentFailure(options.log);
  if (!found) {
    if (ids.some((id) => options.tests[id] === "ERROR")) return undefined;
    return { reason: "no_tests_ran", evidence: options.log.trim().split("\n").slice(-5) };
  }
  if (found.module) {
    // The repository's own code, or an import the candidate adds: the candidate's failure.
    if (isOwnModule(found.module, options.instance.repo, changed)) return undefined;
    if (addsImportOf(options.patch, found.module)) return undefined;
  } else if (raisedIn(options.log, found.evidence[0] ?? "", changed)) return undefined;
  // A name missing from someone else's package: the installed dependency is the wrong version.
  const reason = found.reason === "import_error" && found.module ? "dependency_version" : found.reason;
  return { reason, evidence: found.evidence };
}

/** True when the traceback frame just above the error line is in a file the candidate changes. */
function raisedIn(log: string, errorLine: string, changed: string[]): boolean {
  const lines = log.split("\n");
  const at = lines.findIndex((line) => line.trim() === errorLine);
  for (let index = at - 1; index >= 0 && index >= at - 12; index--) {
    const frame = /File "([^"]+)"|^\s*([^\s:]+\.py):\d+/.exec(lines[index] ?? "");
    const path = frame?.[1] ?? frame?.[2];
    if (path) return changed.some((file) => path === file || path.endsWith(`/${file}`));
  }
  return false;
}

/** True when an added line of the patch imports the module (or its package). */
function addsImportOf(patch: string, module: string): boolean {
  const top = escapeRegExp(module.split(".")[0] ?? module);
  return new RegExp(`^\\+\\s*(?:from\\s+${top}\\b|import\\s+${top}\\b)`, "m").test(patch);
}

/** Paths a unified diff changes (its `+++ b/` side; a deletion's `--- a/`). */
function changedFiles(patch: string): string[] {
  const files = new Set<string>();
  for (const match of patch.matchAll(/^(?:\+\+\+ b|--- a)\/(\S+)/gm)) if (match[1]) files.add(match[1]);
  return [...files];
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The repository's own package (its name, or a top-level folder the candidate changes). */
function isOwnModule(module: string, repo: string, changed: string[]): boolean {
  const top = module.split(".")[0] ?? "";
  const name = repo.split("/")[1]?.replace(/-/g, "_") ?? "";
  return top === name || changed.some((file) => file.startsWith(`${top}/`) || file.startsWith(`src/${top}/`));
}
