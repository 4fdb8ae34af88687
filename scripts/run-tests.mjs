#!/usr/bin/env node
// Runs vitest and closes with one plain `N passed, N failed` line: CI reads that line, not vitest's summary.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "swegate-tests-"));
const jsonFile = join(dir, "results.json");
const result = spawnSync(
  process.execPath,
  [
    "node_modules/vitest/vitest.mjs",
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${jsonFile}`,
    ...process.argv.slice(2),
  ],
  { stdio: "inherit" },
);
let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const report = JSON.parse(readFileSync(jsonFile, "utf8"));
  passed = report.numPassedTests;
  // A suite that fails to load has no failed tests of its own: count it so it cannot pass silently.
  const brokenSuites = (report.testResults ?? []).filter(
    (suite) =>
      suite.status === "failed" && (suite.assertionResults ?? []).every((test) => test.status !== "failed"),
  ).length;
  failed = report.numFailedTests + brokenSuites;
  skipped = report.numPendingTests + report.numTodoTests;
} catch (error) {
  console.error(`could not read vitest's JSON report (${error.message}); counting the run as failed`);
  failed = Math.max(failed, 1);
}
rmSync(dir, { recursive: true, force: true });
// vitest's report leaves out unhandled errors (it exits 1 with every test passed) and a run that
// executed nothing: the closing line must not say success when vitest did not.
if (result.status !== 0 && failed === 0) {
  console.error(
    `vitest exited ${result.status ?? result.signal} with no failing test (an unhandled error?): counted as a failure`,
  );
  failed = 1;
}
if (passed === 0 && failed === 0) {
  console.error("no test ran: counted as a failure");
  failed = 1;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(result.status === 0 && failed === 0 ? 0 : 1);
