import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadDemoDataset } from "../../dataset/demo/load-demo-dataset.js";
import { runCli } from "../test-support/run-cli.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-eval-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

const common = ["--cache-dir", join(scratch, "cache"), "--store", join(scratch, "store"), "--timeout", "300"];
const runs = join(scratch, "out", "logs", "run_evaluation");

describe("swegate eval on the bundled demo (real git, real pytest)", () => {
  it("evaluates the gold patches into the harness's layout and resolves every healthy instance", () => {
    const result = runCli([
      "eval",
      "demo",
      "--predictions",
      "gold",
      "--run-id",
      "g1",
      "--output-dir",
      join(scratch, "out"),
      "--json",
      "--workers",
      "2",
      ...common,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.summary_file).toBe(join(scratch, "out", "gold.g1.json"));
    const onDisk = JSON.parse(readFileSync(summary.summary_file, "utf8"));
    expect(onDisk.schema_version).toBe(2);
    expect(onDisk).toMatchObject({
      total_instances: 5,
      submitted_instances: 5,
      completed_instances: 4,
      error_instances: 1,
    });
    // Healthy ones (and already-1, whose F2P already passes) resolve. broken-1's test cannot import a
    // module the environment lacks: its tests never ran, so it is an error, not an unresolved patch.
    expect(onDisk.resolved_ids).toEqual([
      "swegate-demo__already-1",
      "swegate-demo__calculator-1",
      "swegate-demo__calculator-2",
      "swegate-demo__textutils-1",
    ]);
    expect(onDisk.unresolved_ids).toEqual([]);
    expect(onDisk.error_ids).toEqual(["swegate-demo__broken-1"]);
    expect(onDisk.env_broken_reasons).toEqual({ "swegate-demo__broken-1": "missing_dependency" });
    expect(onDisk.ambiguous_failure_ids).toEqual(["swegate-demo__broken-1"]);
    expect(onDisk.failure_reasons).toEqual({ "swegate-demo__broken-1": "missing_module" });
    // report.json keeps the harness's fields as it would write them; swegate's own say why.
    const broken = JSON.parse(
      readFileSync(join(runs, "g1", "gold", "swegate-demo__broken-1", "report.json"), "utf8"),
    )["swegate-demo__broken-1"];
    expect(broken).toMatchObject({ patch_successfully_applied: true, resolved: false });
    expect(broken.tests_status.FAIL_TO_PASS.failure).toEqual(["tests/test_title.py::test_title_case"]);
    expect(broken.swegate.env_broken.reason).toBe("missing_dependency");
    expect(broken.swegate.env_broken.evidence.join("\n")).toContain("yaml_frobnicator");
    // Where the tests ran: the demo's spec names no Python, the one used is recorded.
    expect(broken.swegate.environment).toMatchObject({ backend: "host", spec_python: null });
    expect(broken.swegate.environment.python_version).toMatch(/^Python 3\./);
    expect(Object.values(onDisk.environments)).toEqual([
      expect.objectContaining({ instances: 5, python_version: broken.swegate.environment.python_version }),
    ]);
    const dir = join(runs, "g1", "gold", "swegate-demo__calculator-1");
    for (const file of ["patch.diff", "test_output.txt", "report.json", "run_instance.log"])
      expect(existsSync(join(dir, file)), file).toBe(true);
    const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8"))["swegate-demo__calculator-1"];
    expect(report).toMatchObject({
      patch_is_None: false,
      patch_exists: true,
      patch_successfully_applied: true,
      resolved: true,
    });
    expect(report.tests_status.FAIL_TO_PASS.success).toContain("tests/test_ops.py::test_divide_fraction");
    expect(readFileSync(join(dir, "test_output.txt"), "utf8")).toMatch(
      />>>>> Start Test Output[\s\S]*>>>>> End Test Output/,
    );
    // The same command again evaluates only the prediction whose tests never ran, like the harness
    // evaluates its errors again: a fixed environment then judges it.
    const brokenOutput = join(runs, "g1", "gold", "swegate-demo__broken-1", "test_output.txt");
    const fineOutput = join(runs, "g1", "gold", "swegate-demo__calculator-1", "test_output.txt");
    rmSync(brokenOutput);
    rmSync(fineOutput);
    const again = runCli([
      "eval",
      "demo",
      "--predictions",
      "gold",
      "--run-id",
      "g1",
      "--output-dir",
      join(scratch, "out"),
      ...common,
    ]);
    expect(again.code, again.stderr).toBe(0);
    expect(existsSync(brokenOutput)).toBe(true);
    expect(existsSync(fineOutput)).toBe(false);
  });

  it("counts empty patches, patches that do not apply (errors) and unsubmitted instances like the harness", async () => {
    const gold = (await loadDemoDataset()).instances.find(
      (item) => item.instance_id === "swegate-demo__textutils-1",
    );
    const file = join(scratch, "predictions.jsonl");
    const rows = [
      {
        instance_id: "swegate-demo__calculator-1",
        model_name_or_path: "org/model-x",
        model_patch: "diff --git a/nope.py b/nope.py\n--- a/nope.py\n+++ b/nope.py\n@@ -1 +1 @@\n-a\n+b\n",
      },
      { instance_id: "swegate-demo__calculator-2", model_name_or_path: "org/model-x", model_patch: "" },
      {
        instance_id: "swegate-demo__textutils-1",
        model_name_or_path: "org/model-x",
        model_patch: gold?.patch,
      },
    ];
    writeFileSync(file, rows.map((row) => JSON.stringify(row)).join("\n"));
    const args = [
      "eval",
      "demo",
      "--predictions",
      file,
      "--run-id",
      "m1",
      "--output-dir",
      join(scratch, "out"),
      "--json",
      ...common,
    ];
    const result = runCli(args);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.summary_file).toBe(join(scratch, "out", "org__model-x.m1.json"));
    expect(summary).toMatchObject({
      total_instances: 5,
      submitted_instances: 3,
      completed_ids: ["swegate-demo__textutils-1"],
      resolved_ids: ["swegate-demo__textutils-1"],
      empty_patch_ids: ["swegate-demo__calculator-2"],
      error_ids: ["swegate-demo__calculator-1"],
      incomplete_ids: ["swegate-demo__already-1", "swegate-demo__broken-1"],
    });
    const failed = join(runs, "m1", "org__model-x", "swegate-demo__calculator-1");
    expect(existsSync(join(failed, "report.json"))).toBe(false);
    expect(readFileSync(join(failed, "run_instance.log"), "utf8")).toContain("Patch Apply Failed");

    // A second eval with the same run id re-reads finished instances instead of re-running them.
    const reportFile = join(runs, "m1", "org__model-x", "swegate-demo__textutils-1", "report.json");
    const report = JSON.parse(readFileSync(reportFile, "utf8"));
    report["swegate-demo__textutils-1"].resolved = false;
    writeFileSync(reportFile, JSON.stringify(report));
    const again = JSON.parse(runCli(args).stdout);
    expect(again.unresolved_ids).toEqual(["swegate-demo__textutils-1"]);
    expect(again.resolved_ids).toEqual([]);
  });

  it("reads a JSON dict keyed by instance id, and names predictions for unknown instances in one line", () => {
    const file = join(scratch, "predictions.json");
    writeFileSync(
      file,
      JSON.stringify({ "swegate-demo__calculator-2": { model_name_or_path: "m", model_patch: "" } }),
    );
    const ok = runCli([
      "eval",
      "demo",
      "--predictions",
      file,
      "--instances",
      "swegate-demo__calculator-2",
      "--output-dir",
      join(scratch, "out"),
      "--json",
      ...common,
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      total_instances: 1,
      empty_patch_ids: ["swegate-demo__calculator-2"],
    });

    writeFileSync(file, JSON.stringify([{ instance_id: "nobody__nothing-1", model_patch: "x" }]));
    const bad = runCli([
      "eval",
      "demo",
      "--predictions",
      file,
      "--output-dir",
      join(scratch, "out"),
      ...common,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toContain("nobody__nothing-1");
  });

  it("refuses a --run-id or a prediction's model name that would climb out of its folder", () => {
    const out = join(scratch, "contained", "out");
    const evaluate = (...args: string[]) =>
      runCli([
        "eval",
        "demo",
        "--output-dir",
        out,
        "--instances",
        "swegate-demo__calculator-1",
        ...args,
        ...common,
      ]);
    const runId = evaluate("--predictions", "gold", "--run-id", "../../../escaped");
    expect(runId.code).toBe(2);
    expect(runId.stderr.trim().split("\n")).toHaveLength(1);
    expect(runId.stderr).toContain(
      '--run-id=../../../escaped: run id "../../../escaped" contains a path separator',
    );

    const file = join(scratch, "escaping.jsonl");
    const row = { instance_id: "swegate-demo__calculator-1", model_patch: "diff --git a/x b/x\n" };
    const fine = { instance_id: "swegate-demo__calculator-2", model_name_or_path: "m", model_patch: "" };
    writeFileSync(file, `${JSON.stringify(fine)}\n${JSON.stringify({ ...row, model_name_or_path: ".." })}\n`);
    const model = evaluate("--predictions", file);
    expect(model.code).toBe(2);
    expect(model.stderr.trim().split("\n")).toHaveLength(1);
    expect(model.stderr).toContain(`${file}:2: field model_name_or_path: ".." starts with a dot`);
    // A model folder `..` would put the instance folders beside the run's; nothing is written at all.
    // out/logs/run_evaluation/../../../escaped is beside out.
    expect(existsSync(join(scratch, "contained", "escaped"))).toBe(false);
    expect(existsSync(out)).toBe(false);
  });

  it("attack: a prediction whose exit hook forges a pass is suspicious, one adding conftest.py refused; neither resolves", () => {
    // Appended to calculator/ops.py (imported by the tests): the bug stays, a pass is printed after the summary.
    const forge = [
      "diff --git a/calculator/ops.py b/calculator/ops.py",
      "--- a/calculator/ops.py",
      "+++ b/calculator/ops.py",
      "@@ -0,0 +1,4 @@",
      '+_m = __import__("at" + "exit"); _s = __import__("sys"); _o = __import__("o" + "s")',
      "+def _forge():",
      '+    _s.stdout.write("\\nPASSED tests/test_ops.py::test_divide_fraction\\n"); _s.stdout.flush(); getattr(_o, "_" + "exit")(0)',
      '+getattr(_m, "reg" + "ister")(_forge)',
      "",
    ].join("\n");
    const conftest = [
      "diff --git a/conftest.py b/conftest.py",
      "new file mode 100644",
      "--- /dev/null",
      "+++ b/conftest.py",
      "@@ -0,0 +1 @@",
      "+import pytest",
      "",
    ].join("\n");
    const file = join(scratch, "hostile.jsonl");
    writeFileSync(
      file,
      [
        { instance_id: "swegate-demo__calculator-1", model_name_or_path: "hostile", model_patch: forge },
        {
          instance_id: "swegate-demo__calculator-2",
          model_name_or_path: "hostile",
          model_patch: conftest,
        },
      ]
        .map((row) => JSON.stringify(row))
        .join("\n"),
    );
    const result = runCli([
      "eval",
      "demo",
      "--predictions",
      file,
      "--instances",
      "swegate-demo__calculator-1,swegate-demo__calculator-2",
      "--run-id",
      "h1",
      "--output-dir",
      join(scratch, "out"),
      "--json",
      ...common,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.resolved_ids).toEqual([]);
    expect(summary.suspicious_ids).toEqual(["swegate-demo__calculator-1"]);
    expect(summary.refused_ids).toEqual(["swegate-demo__calculator-2"]);
    const report = (id: string) =>
      JSON.parse(readFileSync(join(runs, "h1", "hostile", id, "report.json"), "utf8"))[id];
    // The log alone would have resolved it (as the harness's rules read it); swegate does not.
    expect(report("swegate-demo__calculator-1")).toMatchObject({
      resolved: false,
      swegate: { log_resolved: true },
    });
    expect(report("swegate-demo__calculator-1").swegate.suspicious.join(" ")).toMatch(/junit|runner_summary/);
    expect(report("swegate-demo__calculator-2")).toMatchObject({
      resolved: false,
      swegate: { refused: [expect.stringContaining("conftest.py")] },
    });
  });
});
