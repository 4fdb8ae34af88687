import { mkdtempSync, writeFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Instance } from "../dataset/instance.js";
import type { Backend } from "../exec/backend.js";
import { extractTestRun, newNonce, wrapTestCommand } from "../exec/test-script.js";
import { specFor } from "../specs/spec-for.js";
import { testCommand } from "../specs/test-directives.js";
import { getLogParser } from "./log-parsers.js";
import { type EvidenceCheck, judgeEvidence, type TestRunner } from "./test-evidence.js";
import type { StatusMap } from "./test-status.js";

export interface TestRunResult {
  /** Test id → status, parsed from the graded part of the log. */
  statuses: StatusMap;
  /** The graded log (between the nonce markers). */
  log: string;
  /** The whole output, setup included. */
  output: string;
  /** The test command's own exit code, null when it did not finish. */
  exitCode: number | null;
  timedOut: boolean;
  /** The start marker was seen and the command exited by itself. */
  complete: boolean;
  /** What evidence besides the log says (empty when the run did not complete). */
  evidence: EvidenceCheck[];
  durationMs: number;
  /** The test command as run. */
  command: string;
}

/**
 * Runs an instance's tests in a workspace exactly as the harness's eval script would (its test
 * command and directives), after a start marker, and parses the result with its parser. Where the
 * backend can collect it, pytest also writes a JUnit report into a private folder outside the
 * workspace; that report, the runner's own summary and the exit status from the process are the
 * evidence weighed against the log (`judgeEvidence`).
 */
export async function runInstanceTests(options: {
  instance: Instance;
  dir: string;
  backend: Backend;
  timeoutSeconds: number;
}): Promise<TestRunResult> {
  const { instance } = options;
  const runner = testRunnerFor(instance);
  const command = testCommand(instance);
  // Only a one-line command ends in pytest's own arguments (a v5 eval script's may be several lines).
  const evidenceDir =
    runner === "pytest" && options.backend.collectsEvidence && !command.includes("\n")
      ? await mkdtemp(join(tmpdir(), "swegate-evidence-"))
      : undefined;
  const junitPath = evidenceDir ? join(evidenceDir, "junit.xml") : undefined;
  try {
    const nonce = newNonce();
    const script = wrapTestCommand({
      command: junitPath ? `${command} '--junitxml=${junitPath}'` : command,
      nonce,
      setup: hostSetup(instance),
    });
    const result = await options.backend.run(script, {
      cwd: options.dir,
      timeoutSeconds: options.timeoutSeconds,
      env: hostEnvironment(instance),
      evidenceDir,
    });
    const run = extractTestRun(result.output, nonce, result.timedOut ? null : result.exitCode);
    const parse = getLogParser(specFor(instance).log_parser);
    const statuses = parse(run.log);
    const junit = junitPath ? await readFile(junitPath, "utf8").catch(() => null) : undefined;
    return {
      statuses,
      log: run.log,
      output: result.output,
      exitCode: run.exitCode,
      timedOut: result.timedOut,
      complete: run.complete && !result.timedOut,
      evidence:
        run.exitCode === null
          ? []
          : judgeEvidence({
              runner,
              log: run.log,
              parse,
              statuses,
              exitCode: run.exitCode,
              junit,
              expected: instance,
            }),
      durationMs: result.durationMs,
      command,
    };
  } finally {
    if (evidenceDir) await rm(evidenceDir, { recursive: true, force: true });
  }
}

/** The runner an instance's test command drives, from its log parser and command. */
export function testRunnerFor(instance: Instance): TestRunner {
  const spec = specFor(instance);
  if (spec.log_parser === "parse_log_django") return "django";
  if (spec.log_parser === "parse_log_sympy") return "sympy";
  return /(^|[\s;&|(])(pytest|py\.test|tox)(\s|$)/.test(testCommand(instance)) ? "pytest" : "other";
}

/**
 * Steps the official image does at build time that a host checkout lacks. A bare `pytest` in a test
 * command would be whichever console script PATH finds first (often another interpreter's, with
 * other packages), so it is routed through the configured interpreter. pytest imports a version
 * module its install step generates (ARCHITECTURE.md, "without Docker").
 */
function hostSetup(instance: Instance): string[] {
  const setup = ['pytest() { python3 -m pytest "$@"; }', ...hostEvalCommands(instance)];
  if (instance.repo === "pytest-dev/pytest") {
    const version = `${instance.version}.0`;
    setup.push(
      `[ -f src/_pytest/_version.py ] || printf 'version = "${version}"\\n__version__ = version\\nversion_tuple = tuple(version.split("."))\\n' > src/_pytest/_version.py`,
    );
  }
  return setup;
}

const LOCALE_VARIABLE = /^export\s+(?:LANG|LANGUAGE|LC_[A-Z]+)=/;

/**
 * The spec's `eval_commands` that make sense outside the official image: plain `export`s. Locale
 * variables are left at the backend's C.UTF-8 (the image generates en_US.UTF-8 with `locale-gen`,
 * which would edit the host's /etc), and image-only steps (locale-gen, conda activate, edits of
 * system files) are dropped.
 */
export function hostEvalCommands(instance: Instance): string[] {
  return specFor(instance).eval_commands.filter(
    (command) => /^export\s+[A-Za-z_][A-Za-z0-9_]*=/.test(command) && !LOCALE_VARIABLE.test(command),
  );
}

let djangoIdsDir: string | undefined;

/**
 * Python 3.11 renamed unittest ids (`str(TestCase)` became `test_x (mod.Class.test_x)` and
 * `shortDescription()` strips leading newlines), but SWE-bench's Django ids were recorded on older
 * Pythons (ARCHITECTURE.md, "without Docker"). A `sitecustomize.py` first on PYTHONPATH restores the old
 * forms for Django < 5.0 (ids of 5.0 were recorded on 3.11) so the dataset's ids match again.
 */
function hostEnvironment(instance: Instance): Record<string, string> {
  if (instance.repo !== "django/django" || Number.parseFloat(instance.version) >= 5) return {};
  djangoIdsDir ??= writeDjangoIdsShim();
  return {
    PYTHONPATH: djangoIdsDir,
    SWEGATE_OLD_SHORT_DESCRIPTION: Number.parseFloat(instance.version) < 4 ? "1" : "",
  };
}

function writeDjangoIdsShim(): string {
  const dir = mkdtempSync(join(tmpdir(), "swegate-django-ids-"));
  writeFileSync(
    join(dir, "sitecustomize.py"),
    `import os
import sys
import unittest
from unittest.util import strclass

if sys.version_info >= (3, 11):
    def _old_str(self):
        return "%s (%s)" % (self._testMethodName, strclass(self.__class__))
    unittest.TestCase.__str__ = _old_str

if os.environ.get("SWEGATE_OLD_SHORT_DESCRIPTION"):
    def _old_short_description(self):
        doc = self._testMethodDoc
        return doc and doc.split("\\n")[0].strip() or None
    unittest.TestCase.shortDescription = _old_short_description
`,
  );
  return dir;
}
