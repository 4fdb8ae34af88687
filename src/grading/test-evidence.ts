import { junitAddress, parseJunitXml } from "./parse-junit-xml.js";
import type { LogParser, StatusMap, TestStatus } from "./test-status.js";

/** Which test runner an instance's test command drives: it decides what evidence there is besides the log. */
export type TestRunner = "pytest" | "django" | "sympy" | "other";

/** One piece of evidence weighed against the log. */
export interface EvidenceCheck {
  /** `exit_code`: the test command's exit status, read from the process; `runner_summary`: the runner's own closing summary; `junit`: pytest's JUnit XML report, written outside the workspace. */
  kind: "exit_code" | "runner_summary" | "junit";
  /** The evidence agrees with what the log says. */
  ok: boolean;
  /** What was compared, for people (names the tests that disagree). */
  detail: string;
}

/** What `judgeEvidence` weighs. */
export interface EvidenceInput {
  runner: TestRunner;
  /** The graded log (from the start marker to the end of the output). */
  log: string;
  /** The harness-compatible parser the log is graded with. */
  parse: LogParser;
  /** That parser's result on the whole log. */
  statuses: StatusMap;
  /** The test command's exit status as the process reported it. */
  exitCode: number;
  /** pytest's JUnit report: its text, null when pytest wrote none, undefined when the backend cannot collect one. */
  junit?: string | null;
  /** The tests that decide the verdict. */
  expected: { FAIL_TO_PASS: string[]; PASS_TO_PASS: string[] };
}

const passesF2p = (status: TestStatus | undefined) => status === "PASSED" || status === "XFAIL";
const passesP2p = (status: TestStatus | undefined) => passesF2p(status) || status === "SKIPPED";

/**
 * Evidence a test process cannot forge by printing: the exit status of the test command (from the
 * process, never from the log), the runner's own closing summary (result lines after it were not
 * printed by the runner), and for pytest a JUnit report written outside the workspace. Each check
 * looks only for the dangerous direction: a test the log says passes that the evidence does not
 * back. Code under test runs inside the runner and can still forge these in principle; the patch
 * scan (`scanPatchForTampering`) covers that side.
 */
export function judgeEvidence(input: EvidenceInput): EvidenceCheck[] {
  const passing = expectedPassing(input.statuses, input.expected);
  const checks: EvidenceCheck[] = [];
  const summary = findRunnerSummary(input.runner, input.log);
  if (input.runner !== "other") {
    if (!summary) {
      checks.push({
        kind: "runner_summary",
        ok: passing.length === 0,
        detail: `the ${input.runner} runner printed no closing summary`,
      });
    } else {
      const before = input.parse(input.log.slice(0, summary.end));
      const late = passing.filter(({ id, group }) =>
        group === "FAIL_TO_PASS" ? !passesF2p(before.get(id)) : !passesP2p(before.get(id)),
      );
      checks.push({
        kind: "runner_summary",
        ok: late.length === 0,
        detail:
          late.length === 0
            ? `every passing test was reported before the runner's summary (${summary.line.trim()})`
            : `passes reported after the runner's closing summary: ${describeIds(late.map((test) => test.id))}`,
      });
    }
  }
  checks.push(exitCodeCheck(input.exitCode, summary));
  if (input.runner === "pytest" && input.junit !== undefined) checks.push(junitCheck(input.junit, passing));
  return checks;
}

interface ExpectedTest {
  id: string;
  group: "FAIL_TO_PASS" | "PASS_TO_PASS";
}

/** The F2P and P2P tests the log says pass (what a forgery would have to fake). */
function expectedPassing(statuses: StatusMap, expected: EvidenceInput["expected"]): ExpectedTest[] {
  return [
    ...expected.FAIL_TO_PASS.filter((id) => passesF2p(statuses.get(id))).map((id) => ({
      id,
      group: "FAIL_TO_PASS" as const,
    })),
    ...expected.PASS_TO_PASS.filter((id) => passesP2p(statuses.get(id))).map((id) => ({
      id,
      group: "PASS_TO_PASS" as const,
    })),
  ];
}

function exitCodeCheck(exitCode: number, summary: RunnerSummary | undefined): EvidenceCheck {
  if (summary?.failures && exitCode === 0)
    return {
      kind: "exit_code",
      ok: false,
      detail: "the runner's summary reports failures but the test command exited 0",
    };
  return {
    kind: "exit_code",
    ok: true,
    detail: summary
      ? `exit ${exitCode} agrees with the runner's summary`
      : `exit ${exitCode} (read from the process)`,
  };
}

function junitCheck(xml: string | null, passing: ExpectedTest[]): EvidenceCheck {
  if (xml === null)
    return {
      kind: "junit",
      ok: passing.length === 0,
      detail: "pytest wrote no JUnit report",
    };
  const cases = parseJunitXml(xml);
  const unbacked = passing.filter(({ id, group }) => {
    const address = junitAddress(id);
    const truncated = id.split("[").length > id.split("]").length;
    const matches = cases.filter(
      (candidate) =>
        candidate.classname === address.classname &&
        (candidate.name === address.name || (truncated && candidate.name.startsWith(address.name))),
    );
    const pass = group === "FAIL_TO_PASS" ? passesF2p : passesP2p;
    return matches.length === 0 || !matches.every((candidate) => pass(candidate.status));
  });
  return {
    kind: "junit",
    ok: unbacked.length === 0,
    detail:
      unbacked.length === 0
        ? `the JUnit report (${cases.length} cases) backs every passing test`
        : `passes the JUnit report does not back: ${describeIds(unbacked.map((test) => test.id))}`,
  };
}

const describeIds = (ids: string[]) =>
  ids.length <= 5 ? ids.join(", ") : `${ids.slice(0, 5).join(", ")} and ${ids.length - 5} more`;

interface RunnerSummary {
  /** The summary line. */
  line: string;
  /** Offset in the log just after the summary. */
  end: number;
  /** The summary reports failed or erroring tests. */
  failures: boolean;
}

// pytest's closing line: `==== 1 failed, 2 passed, 1 warning in 0.12s ====` (older: `in 0.12 seconds`).
const PYTEST_SUMMARY =
  /^(?:=+ )?((?:\d+ [a-z]+|no tests ran)(?:, \d+ [a-z]+)*) in [\d.]+ ?s(?:econds)?(?: \([^)]*\))?(?: =+)?\s*$/;
// unittest (Django's runner): `Ran 12 tests in 0.3s`, a blank line, then `OK…` or `FAILED (…)`.
const UNITTEST_RAN = /^Ran \d+ tests? in [\d.]+s\s*$/;
const UNITTEST_VERDICT = /^(OK|FAILED)\b/;
// sympy's bin/test: `==== tests finished: 5 passed, 1 failed, in 0.12 seconds ====`.
const SYMPY_SUMMARY = /^=+ tests finished: (.*) in [\d.]+ seconds =+\s*$/;
// Colours: some runs (astropy, sphinx) print them even into a log file.
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/** The runner's last closing summary in the log, or undefined when it printed none. */
export function findRunnerSummary(runner: TestRunner, log: string): RunnerSummary | undefined {
  if (runner === "other") return undefined;
  const lines = log.split("\n");
  let offset = 0;
  let found: RunnerSummary | undefined;
  const plain: string[] = [];
  for (const [index, raw] of lines.entries()) {
    const line = raw.replace(ANSI, "");
    plain.push(line);
    const end = offset + raw.length;
    offset = end + 1;
    if (runner === "pytest" || runner === "sympy") {
      const match = (runner === "pytest" ? PYTEST_SUMMARY : SYMPY_SUMMARY).exec(line);
      if (match)
        found = { line, end, failures: /\b[1-9]\d* (?:failed|errors?|exceptions?)\b/.test(match[1] ?? "") };
    } else {
      const verdict = UNITTEST_VERDICT.exec(line);
      if (verdict && plain[index - 1]?.trim() === "" && UNITTEST_RAN.test(plain[index - 2] ?? ""))
        found = { line, end, failures: verdict[1] === "FAILED" };
    }
  }
  return found;
}
