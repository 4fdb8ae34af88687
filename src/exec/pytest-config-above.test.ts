import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/test-support/run-cli.js";
import { findPytestConfigAbove } from "./pytest-config-above.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-pytest-above-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("a pytest configuration above the checkouts", () => {
  it("is found as pytest finds one: by file name, or by the pytest section inside", () => {
    const root = join(scratch, "tree");
    const deep = join(root, "project", "cache", "workspaces");
    mkdirSync(deep, { recursive: true });
    const insideTree = (found: string | undefined) => found?.startsWith(root) === true;
    // Files that do not configure pytest are passed over.
    writeFileSync(join(root, "project", "tox.ini"), "[tox]\nenvlist = py311\n");
    writeFileSync(join(root, "project", "setup.cfg"), "[metadata]\nname = x\n");
    writeFileSync(join(root, "project", "pyproject.toml"), "[tool.black]\nline-length = 99\n");
    expect(insideTree(findPytestConfigAbove(deep))).toBe(false);
    writeFileSync(join(root, "setup.cfg"), "[tool:pytest]\naddopts = -x\n");
    expect(findPytestConfigAbove(deep)).toBe(join(root, "setup.cfg"));
    writeFileSync(join(root, "project", "pyproject.toml"), "[tool.pytest.ini_options]\naddopts = '-x'\n");
    expect(findPytestConfigAbove(deep)).toBe(join(root, "project", "pyproject.toml"));
    writeFileSync(join(root, "project", "cache", "pytest.ini"), "");
    expect(findPytestConfigAbove(deep)).toBe(join(root, "project", "cache", "pytest.ini"));
  });

  it("makes the host backend's commands say so in one line", () => {
    const project = join(scratch, "user-project");
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, "pytest.ini"), "[pytest]\naddopts = -x\n");
    const result = runCli([
      "validate",
      "--instances",
      "swegate-demo__calculator-1",
      "--cache-dir",
      join(scratch, "cache"),
      "--workspace-dir",
      join(project, "checkouts"),
      "--store",
      join(scratch, "store"),
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      `swegate: warning: ${join(project, "pytest.ini")} configures pytest and sits above the checkouts`,
    );
  });
});
