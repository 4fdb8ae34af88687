import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pydicomDataset } from "../../environments/test-support/pydicom-dataset.js";
import { runCli } from "../test-support/run-cli.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-validate-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

/** Cache, store and timeout in the scratch folder, so nothing touches the user's own. */
const common = (store: string) => [
  "--cache-dir",
  join(scratch, "cache"),
  "--store",
  join(scratch, store),
  "--timeout",
  "300",
];

describe("swegate validate on the bundled demo (real git, real pytest)", () => {
  it("prints one JSON line per instance with the health each one really has", () => {
    const result = runCli(["validate", "demo", "--json", "--workers", "2", ...common("store")]);
    expect(result.code, result.stderr).toBe(0);
    const rows = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    const byId = Object.fromEntries(rows.map((row) => [row.instance_id, row]));
    expect(Object.keys(byId).sort()).toEqual([
      "swegate-demo__already-1",
      "swegate-demo__broken-1",
      "swegate-demo__calculator-1",
      "swegate-demo__calculator-2",
      "swegate-demo__textutils-1",
    ]);
    for (const id of [
      "swegate-demo__calculator-1",
      "swegate-demo__calculator-2",
      "swegate-demo__textutils-1",
    ])
      expect(byId[id]).toMatchObject({
        healthy: true,
        red: { verdict: "reproduced" },
        green: { resolved: true },
      });
    expect(byId["swegate-demo__broken-1"]).toMatchObject({
      healthy: false,
      red: { verdict: "env_broken", reason: "missing_dependency" },
      green: { resolved: null },
    });
    expect(byId["swegate-demo__broken-1"].red.evidence.join("\n")).toContain("ModuleNotFoundError");
    expect(byId["swegate-demo__already-1"]).toMatchObject({
      healthy: false,
      red: { verdict: "already_passing" },
    });
    // The health registry was written: a second, human run prints the table by verdict.
    const human = runCli(["validate", "demo", "--instances", "swegate-demo__broken-1", ...common("store")]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain("0/1 healthy");
    expect(human.stdout).toMatch(/1\s+env_broken \(missing_dependency\)/);
    expect(existsSync(join(scratch, "store"))).toBe(true);
  });

  it("runs each instance under the interpreter --python-config names for its repository", () => {
    // A wrapper interpreter that leaves a trace, so the test sees which instances used it.
    const trace = join(scratch, "trace.txt");
    const wrapper = join(scratch, "traced-python");
    // The real interpreter by absolute path: inside the run, `python3` on PATH is this wrapper itself.
    const python = execFileSync("bash", ["-c", "command -v python3"], { encoding: "utf8" }).trim();
    writeFileSync(wrapper, `#!/bin/sh\necho "$PWD" >> '${trace}'\nexec '${python}' "$@"\n`);
    chmodSync(wrapper, 0o755);
    const config = join(scratch, "pythons.yaml");
    writeFileSync(config, `swegate-demo/textutils: ${wrapper}\n`);
    const result = runCli([
      "validate",
      "demo",
      "--json",
      "--instances",
      "swegate-demo__textutils-1,swegate-demo__calculator-1",
      "--python-config",
      config,
      ...common("store-config"),
    ]);
    expect(result.code, result.stderr).toBe(0);
    const rows = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(rows.every((row) => row.healthy)).toBe(true);
    const traced = readFileSync(trace, "utf8");
    expect(traced).toContain("textutils");
    expect(traced).not.toContain("calculator");
  });

  it("names a bad --python-config file in one line", () => {
    const result = runCli(["validate", "demo", "--python-config", join(scratch, "absent.yaml")]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("absent.yaml");
  });

  it("names an interpreter that does not exist in one line instead of quietly using another Python", () => {
    const missing = join(scratch, "no-such-venv", "bin", "python3");
    for (const command of ["validate", "run"]) {
      const result = runCli([command, "demo", "--python", missing, ...common(`bad-python-${command}`)]);
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split("\n").at(-1)).toContain(`interpreter ${missing} not found`);
      expect(result.stderr).not.toContain("    at "); // no stack
    }
  });

  it("warns once per repo@version whose spec asks another Python than the host's, and records both", () => {
    const { file, repoUrl } = pydicomDataset(join(scratch, "pydicom"));
    const python = execFileSync("python3", ["--version"], { encoding: "utf8" }).trim();
    const result = runCli([
      ...["validate", file, "--json", "--instances", "pydicom__pydicom-10,pydicom__pydicom-11"],
      ...["--repo-url", repoUrl, ...common("store-mismatch")],
    ]);
    expect(result.code, result.stderr).toBe(0);
    const warnings = result.stderr.split("\n").filter((line) => line.includes("warning"));
    expect(warnings).toEqual([
      expect.stringContaining(
        `pydicom/pydicom@1.0 runs on Python ${python.split(" ")[1]?.split(".").slice(0, 2).join(".")}, the harness on 3.6`,
      ),
      expect.stringContaining("pydicom/pydicom@1.1 runs on Python"),
    ]);
    const rows = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    for (const row of rows)
      expect(row.environment).toMatchObject({ backend: "host", python_version: python, spec_python: "3.6" });
  });
});
