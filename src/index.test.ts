import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalize } from "./certificate/canonicalize.js";
import { signCertificate } from "./certificate/certificate.js";
import { sampleDocument } from "./certificate/test-support/sample-document.js";

// The package as a user gets it: compiled by the build's own configuration, installed under
// node_modules/swegate of a project of the user's, and imported by its name — so `exports`, `types`
// and the compiled entry module are what is tested, not the sources.
const root = join(import.meta.dirname, "..");
const project = mkdtempSync(join(tmpdir(), "swegate-library-"));
const installed = join(project, "node_modules", "swegate");
afterAll(() => rm(project, { recursive: true, force: true }));

beforeAll(() => {
  mkdirSync(installed, { recursive: true });
  writeFileSync(join(installed, "package.json"), readFileSync(join(root, "package.json")));
  // Its dependencies and data as npm would place them beside it.
  symlinkSync(join(root, "node_modules"), join(installed, "node_modules"));
  symlinkSync(join(root, "data"), join(installed, "data"));
  execFileSync(
    process.execPath,
    [
      join(root, "node_modules", "typescript", "bin", "tsc"),
      "-p",
      join(root, "tsconfig.build.json"),
      "--outDir",
      join(installed, "dist"),
    ],
    { stdio: "pipe" },
  );
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "user", type: "module", private: true }),
  );
  writeFileSync(join(project, "dataset.jsonl"), `${JSON.stringify(row)}\n`);
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  writeFileSync(join(project, "trusted.pem"), publicKey.export({ type: "spki", format: "pem" }));
  writeFileSync(
    join(project, "certificate.json"),
    `${canonicalize(signCertificate(sampleDocument, privateKey))}\n`,
  );
}, 300_000);

const row = {
  instance_id: "pallets__flask-1",
  repo: "pallets/flask",
  base_commit: "a".repeat(40),
  patch: "diff --git a/f.py b/f.py\n",
  test_patch: "diff --git a/tests/test_f.py b/tests/test_f.py\n",
  problem_statement: "it breaks",
  hints_text: "",
  version: "2.0",
  FAIL_TO_PASS: '["tests/test_f.py::test_fixed"]',
  PASS_TO_PASS: '["tests/test_f.py::test_kept"]',
  environment_setup_commit: "b".repeat(40),
};

// Named main.js on purpose: importing swegate must not start its command line.
const USER_SCRIPT = `import { readFileSync } from "node:fs";
import { getLogParser, gradeInstance, loadDataset, readTrustedKeys, selectInstances, verifyCertificate } from "swegate";

const dataset = await loadDataset("dataset.jsonl");
const [instance] = selectInstances(dataset.instances, { repos: ["pallets/flask"] });
const parse = getLogParser("parse_log_pytest");
const statuses = parse("PASSED tests/test_f.py::test_fixed\\nPASSED tests/test_f.py::test_kept\\n");
const grade = gradeInstance(statuses, instance);
const text = readFileSync("certificate.json", "utf8");
const verified = verifyCertificate(JSON.parse(text), { trustedKeys: readTrustedKeys("trusted.pem"), fileText: text });
console.log(JSON.stringify({ id: instance.instance_id, resolution: grade.resolution, certificate: verified.ok }));
`;

const TYPED_SCRIPT = `import { type InstanceResult, type Resolution, gradeInstance, getLogParser } from "swegate";

const resolution: Resolution = gradeInstance(getLogParser("parse_log_pytest")("PASSED a\\n"), {
  FAIL_TO_PASS: ["a"],
  PASS_TO_PASS: [],
}).resolution;
const status: InstanceResult["status"] = resolution === "FULL" ? "verified" : "failed";
export { status };
`;

describe("swegate as a library, imported by its package name", () => {
  it("loads and selects a dataset, parses and grades a log, and verifies a certificate", () => {
    writeFileSync(join(project, "main.js"), USER_SCRIPT);
    const output = execFileSync(process.execPath, ["main.js"], { cwd: project, encoding: "utf8" });
    expect(JSON.parse(output)).toEqual({ id: "pallets__flask-1", resolution: "FULL", certificate: true });
  });

  it("gives TypeScript users its types through the package's exports", () => {
    writeFileSync(join(project, "typed.ts"), TYPED_SCRIPT);
    const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
    const options = ["--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext"];
    // Throws, with the compiler's messages, when the types cannot be found or do not fit.
    execFileSync(process.execPath, [tsc, ...options, "--skipLibCheck", "typed.ts"], {
      cwd: project,
      encoding: "utf8",
    });
  }, 120_000);
});
