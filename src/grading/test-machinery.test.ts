import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeGitRepo } from "../workspace/test-support/make-git-repo.js";
import { findTestMachineryEdits, testSections } from "./test-machinery.js";

const SETUP_CFG = "[metadata]\nname = pkg\n\n[tool:pytest]\naddopts = -rA\n";
const PYPROJECT = '[project]\nname = "pkg"\n\n[tool.pytest.ini_options]\naddopts = "-rA"\n';

/** A checkout at its only commit; `edit` writes the candidate's files into it. */
function checkout(edit: Record<string, string> = {}) {
  const repo = makeGitRepo({
    "pkg/mod.py": "x = 1\n",
    "setup.cfg": SETUP_CFG,
    "pyproject.toml": PYPROJECT,
    "tests/test_mod.py": "def test(): pass\n",
  });
  for (const [path, text] of Object.entries(edit)) writeFileSync(join(repo.dir, path), text);
  return repo;
}

const diffOf = (path: string, added: string[]) =>
  `diff --git a/${path} b/${path}\n--- a/${path}\n+++ b/${path}\n@@ -1,0 +1,${added.length} @@\n${added.map((line) => `+${line}`).join("\n")}\n`;

const row = (commit: string, fields: { patch?: string; test_patch?: string } = {}) => ({
  repo: "me/mine",
  base_commit: commit,
  patch: fields.patch ?? "",
  test_patch: fields.test_patch ?? "",
});

describe("candidate patches that reach into the test machinery are refused", () => {
  it("attack: conftest.py, sitecustomize.py, usercustomize.py and .pth files anywhere", async () => {
    const repo = checkout();
    for (const path of [
      "conftest.py",
      "tests/deep/conftest.py",
      "sitecustomize.py",
      "usercustomize.py",
      "evil.pth",
    ]) {
      const reasons = await findTestMachineryEdits({
        dir: repo.dir,
        instance: row(repo.commit),
        patch: diffOf(path, ["x = 1"]),
      });
      expect(reasons, path).toHaveLength(1);
      expect(reasons[0]).toContain(path);
    }
  });

  it("attack: pytest_plugins in any module, and the pytest section of setup.cfg and pyproject.toml", async () => {
    const repo = checkout({
      "setup.cfg": SETUP_CFG.replace("-rA", "-rA -p evil"),
      "pyproject.toml": PYPROJECT.replace('"-rA"', '"-rA --deselect tests"'),
    });
    const reasons = await findTestMachineryEdits({
      dir: repo.dir,
      instance: row(repo.commit),
      patch:
        diffOf("pkg/mod.py", ['pytest_plugins = ["evil"]']) +
        diffOf("setup.cfg", ["x"]) +
        diffOf("pyproject.toml", ["x"]),
    });
    expect(reasons.map((reason) => reason.split(":")[0]).sort()).toEqual([
      "pkg/mod.py",
      "pyproject.toml",
      "setup.cfg",
    ]);
  });

  it("lets through changes elsewhere in setup.cfg and pyproject.toml, and ordinary source edits", async () => {
    const repo = checkout({
      "setup.cfg": SETUP_CFG.replace("name = pkg", "name = pkg2"),
      "pyproject.toml": PYPROJECT.replace('name = "pkg"', 'name = "pkg2"'),
      "pkg/mod.py": "x = 2\n",
    });
    const reasons = await findTestMachineryEdits({
      dir: repo.dir,
      instance: row(repo.commit),
      patch: diffOf("setup.cfg", ["x"]) + diffOf("pyproject.toml", ["x"]) + diffOf("pkg/mod.py", ["x = 2"]),
    });
    expect(reasons).toEqual([]);
  });

  it("exempts files the gold patch or the test_patch touches (a dataset whose fix edits conftest.py still validates)", async () => {
    const repo = checkout();
    const conftest = diffOf("tests/conftest.py", ["import pytest"]);
    expect(
      await findTestMachineryEdits({
        dir: repo.dir,
        instance: row(repo.commit, { patch: conftest }),
        patch: conftest,
      }),
    ).toEqual([]);
    expect(
      await findTestMachineryEdits({
        dir: repo.dir,
        instance: row(repo.commit, { test_patch: conftest }),
        patch: conftest,
      }),
    ).toEqual([]);
  });

  it("judges pytest_plugins by line: a gold patch editing the same module does not permit it", async () => {
    const repo = checkout();
    const gold = diffOf("pkg/mod.py", ["x = 2"]);
    const reasons = await findTestMachineryEdits({
      dir: repo.dir,
      instance: row(repo.commit, { patch: gold }),
      patch: diffOf("pkg/mod.py", ['pytest_plugins = ["evil"]']),
    });
    expect(reasons).toEqual(["pkg/mod.py: declares pytest_plugins (loads code into the test runner)"]);
  });

  it("refuses edits to the runner the harness runs (Django's runtests.py, sympy's bin/test)", async () => {
    const repo = checkout();
    const reasons = await findTestMachineryEdits({
      dir: repo.dir,
      instance: { ...row(repo.commit), repo: "django/django" },
      patch: diffOf("tests/runtests.py", ["import sys"]),
    });
    expect(reasons).toEqual(["tests/runtests.py: the test runner the grading runs"]);
  });

  it("reads config sections by name", () => {
    expect(testSections(SETUP_CFG, /^(tool:pytest)$/)).toBe("[tool:pytest]\naddopts = -rA");
    expect(testSections("addopts = -x\n", /.*/)).toBe("addopts = -x");
  });
});
