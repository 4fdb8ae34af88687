import type { Backend } from "../exec/backend.js";
import { resetToBase } from "../workspace/apply-patch.js";
import { type Frame, readIssueEvidence } from "./issue-evidence.js";

/**
 * Runs a Python script (given as its text) with the instance's interpreter, in the checkout at
 * base_commit, and leaves the checkout as it found it. Resolves with what it printed.
 */
export type ScriptRunner = (
  script: string,
) => Promise<{ output: string; exitCode: number | null; timedOut: boolean }>;

/** What running the issue's own code showed, for people (`Context.reproduction`). */
export interface Reproduction {
  /** Code blocks of the issue that were run (a block that does not compile is skipped by the script). */
  blocks: number;
  /** The exception the run ended with (`PolynomialError`), when it raised one. */
  error?: string;
  /** True when the issue names that exception: only then are its frames evidence. */
  reproduced: boolean;
  /** Traceback frames read from the run (before resolving them to the checkout). */
  frames: Frame[];
  /** The run was stopped by its timeout. */
  timedOut: boolean;
  /** The script's exit code (null when killed); the script catches the code's exceptions, so not 0 means Python did not run or was ended. */
  exitCode: number | null;
  /** What the run printed (its end, when long). */
  output: string;
  /** Frames that resolved to files of the checkout (set by the context builder). */
  framesInCheckout?: number;
}

/** Seconds the issue's code may run: long enough to import a big package and recurse. */
export const REPRODUCE_TIMEOUT_SECONDS = 60;
/** Characters of the run's output kept in the record (its end: where the traceback is). */
const KEPT_OUTPUT = 20_000;
/** Fence languages that are Python; an untagged block may be too (the script compiles each to see). */
const PYTHON_FENCE = new Set(["", "python", "py", "python3", "pycon", "ipython"]);

/**
 * The Python code blocks of an issue, in order: fenced blocks tagged Python or untagged, without
 * tracebacks and printed output; an interactive session (`>>> `, `... `) keeps its input lines only.
 */
export function issueCodeBlocks(issue: string): string[] {
  const blocks: string[] = [];
  for (const match of issue.matchAll(/```[ \t]*([\w+-]*)[^\n]*\n([\s\S]*?)```/g)) {
    const [, language = "", body = ""] = match;
    if (!PYTHON_FENCE.has(language.toLowerCase())) continue;
    const lines = body.replaceAll("\r\n", "\n").split("\n");
    if (lines.some((line) => /^Traceback \(most recent call last\)|^\s*File "[^"]+", line \d+/.test(line)))
      continue;
    const session = lines.filter((line) => /^(>>>|\.\.\.)( |$)/.test(line));
    const code = session.length > 0 ? session.map((line) => line.slice(4)) : lines;
    const text = code.join("\n").trim();
    if (text) blocks.push(`${text}\n`);
  }
  return blocks;
}

/**
 * A Python script running the blocks one after another in one namespace, as someone pasting them
 * would: a block that does not compile (printed output, prose) is skipped; the first exception
 * prints its traceback and ends the run. Without an import of its own, the code gets the package's
 * names first (`from sympy import *`), as issues often leave out.
 */
export function reproductionScript(blocks: readonly string[], packageName?: string): string {
  const imports = blocks.some((block) => /^\s*(import|from)\s+\w/m.test(block));
  const run = !imports && packageName ? [`from ${packageName} import *\n`, ...blocks] : [...blocks];
  // A JSON string is also a Python string literal.
  return [
    "import json, sys, traceback",
    `blocks = json.loads(${JSON.stringify(JSON.stringify(run))})`,
    'namespace = {"__name__": "__main__"}',
    "for number, block in enumerate(blocks):",
    "    try:",
    '        code = compile(block, "<issue block %d>" % number, "exec")',
    "    except SyntaxError:",
    "        continue",
    "    try:",
    "        exec(code, namespace)",
    "    except BaseException:",
    // On standard output after what the code printed, so the traceback is the last thing written.
    "        sys.stdout.flush()",
    "        traceback.print_exc(file=sys.stdout)",
    "        sys.stdout.flush()",
    "        break",
    "",
  ].join("\n");
}

/**
 * The frames of the run's last traceback, when it ends with an exception the issue names by class
 * (`RecursionError`, `PolynomialError`): the failure the issue reports, reproduced. Any other
 * failure (a missing setting, a name the snippet never defined) says nothing about the bug.
 */
export function readReproduction(
  output: string,
  issue: string,
): Omit<Reproduction, "blocks" | "timedOut" | "exitCode" | "output"> {
  const start = output.lastIndexOf("Traceback (most recent call last):");
  if (start < 0) return { reproduced: false, frames: [] };
  const section = output.slice(start);
  // The exception's line: the first one at the margin after the last frame (its message may go on).
  const lines = section.split("\n");
  const lastFrame = lines.reduce((found, line, index) => (/^\s+File "/.test(line) ? index : found), -1);
  const last = lines.slice(lastFrame + 1).find((line) => /^\S/.test(line));
  const error = last
    ?.match(/^([A-Za-z_][\w.]*)(?::|$)/)?.[1]
    ?.split(".")
    .at(-1);
  if (!error) return { reproduced: false, frames: [] };
  const reproduced = new RegExp(`\\b${error}\\b`).test(issue);
  return { error, reproduced, frames: reproduced ? readIssueEvidence(section).frames : [] };
}

/** Runs the issue's code blocks with `runner`; undefined when the issue has none. */
export async function reproduceIssue(
  issue: string,
  runner: ScriptRunner,
  packageName?: string,
): Promise<Reproduction | undefined> {
  const blocks = issueCodeBlocks(issue);
  if (blocks.length === 0) return undefined;
  const result = await runner(reproductionScript(blocks, packageName));
  return {
    blocks: blocks.length,
    timedOut: result.timedOut,
    exitCode: result.exitCode,
    output: result.output.slice(-KEPT_OUTPUT),
    ...readReproduction(result.output, issue),
  };
}

/**
 * A runner on a backend: the script goes to `python -` on standard input (nothing is written into
 * the checkout), then the checkout is put back at `baseCommit` (the code may write files).
 */
export function backendScriptRunner(backend: Backend, dir: string, baseCommit: string): ScriptRunner {
  return async (script) => {
    const delimiter = "SWEGATE_ISSUE_CODE_END";
    try {
      const result = await backend.run(`python - <<'${delimiter}'\n${script}\n${delimiter}\n`, {
        cwd: dir,
        timeoutSeconds: REPRODUCE_TIMEOUT_SECONDS,
        outputLimitBytes: 200_000,
      });
      return { output: result.output, exitCode: result.exitCode, timedOut: result.timedOut };
    } finally {
      await resetToBase(dir, baseCommit);
    }
  };
}

/** One line for people on what running the issue's code showed. */
export function describeReproduction(reproduction: Reproduction): string {
  const ran = `ran the issue's code (${reproduction.blocks} block${reproduction.blocks === 1 ? "" : "s"})`;
  if (reproduction.timedOut) return `${ran}: stopped after ${REPRODUCE_TIMEOUT_SECONDS} s, no evidence`;
  if (!reproduction.error && reproduction.exitCode !== 0) {
    const said = reproduction.output.trim().split("\n").at(-1)?.slice(0, 200) ?? "";
    return `${ran}: exited with ${reproduction.exitCode ?? "a signal"} without a Python traceback (${said}); no evidence`;
  }
  if (!reproduction.error) return `${ran}: no exception, no evidence`;
  if (!reproduction.reproduced)
    return `${ran}: it raised ${reproduction.error}, which the issue does not name; not used`;
  const used = reproduction.framesInCheckout ?? reproduction.frames.length;
  return `${ran}: it raised ${reproduction.error} as the issue says; ${used} frame${used === 1 ? "" : "s"} in the checkout used`;
}

/** `reproduce.log` of a run's instance folder: the line above, then what the run printed. */
export function reproductionLog(reproduction: Reproduction): string {
  return `${describeReproduction(reproduction)}\n\n${reproduction.output}`;
}
