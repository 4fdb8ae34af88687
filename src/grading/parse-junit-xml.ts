import type { TestStatus } from "./test-status.js";

/** One `<testcase>` of a JUnit XML report, as pytest's junitxml plugin writes it. */
export interface JunitCase {
  /** `classname` attribute: the test's module path with dots, plus its class (`tests.test_ops.TestX`). */
  classname: string;
  /** `name` attribute: the function name with its parameters (`test_y[1-2]`). */
  name: string;
  /** The outcome the report gives it. */
  status: TestStatus;
}

const TESTCASE = /<testcase\b((?:[^>"']|"[^"]*"|'[^']*')*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
const ATTRIBUTE = /([A-Za-z_:][\w:.-]*)\s*=\s*("([^"]*)"|'([^']*)')/g;

/**
 * The test cases of a JUnit XML report. pytest writes one `<testcase>` per test: no child when it
 * passed, `<failure>` when it failed, `<error>` when setup or teardown broke, `<skipped>` when
 * skipped (`type="pytest.xfail"` for an expected failure). A small scanner is enough: the report
 * is machine-written, and a malformed one yields fewer cases, which only ever counts against a
 * verdict (a test the log says passed but the report lacks).
 */
export function parseJunitXml(xml: string): JunitCase[] {
  const cases: JunitCase[] = [];
  for (const match of xml.matchAll(TESTCASE)) {
    const attributes = new Map<string, string>();
    for (const attribute of (match[1] ?? "").matchAll(ATTRIBUTE))
      attributes.set(attribute[1] ?? "", decodeEntities(attribute[3] ?? attribute[4] ?? ""));
    cases.push({
      classname: attributes.get("classname") ?? "",
      name: attributes.get("name") ?? "",
      status: caseStatus(match[3] ?? ""),
    });
  }
  return cases;
}

function caseStatus(body: string): TestStatus {
  if (/<failure\b/.test(body)) return "FAILED";
  if (/<error\b/.test(body)) return "ERROR";
  const skipped = /<skipped\b((?:[^>"']|"[^"]*"|'[^']*')*)/.exec(body);
  if (skipped) return /type\s*=\s*["']pytest\.xfail["']/.test(skipped[1] ?? "") ? "XFAIL" : "SKIPPED";
  return "PASSED";
}

const NAMED_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (whole, entity: string) => {
    if (entity.startsWith("#x")) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith("#")) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    return NAMED_ENTITIES[entity] ?? whole;
  });
}

/**
 * Where pytest's junitxml plugin files a test id: the part before any `[` split at `::`, the path's
 * `/` turned into dots and its `.py` dropped, every part but the last joined into `classname`, the
 * last (parameters put back) as `name`. The direction id → (classname, name) is exact; the reverse
 * is not (dots in folder names), which is why ids are looked up this way round.
 */
export function junitAddress(testId: string): { classname: string; name: string } {
  const bracket = testId.indexOf("[");
  const path = bracket < 0 ? testId : testId.slice(0, bracket);
  const parts = path.split("::");
  parts[0] = (parts[0] ?? "").replaceAll("/", ".").replace(/\.py$/, "");
  const name = `${parts.pop() ?? ""}${bracket < 0 ? "" : testId.slice(bracket)}`;
  return { classname: parts.join("."), name };
}
