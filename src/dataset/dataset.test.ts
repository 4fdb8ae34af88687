import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/test-support/run-cli.js";
import { buildDemoRepositories } from "./demo/build-demo-repositories.js";
import { DEMO_INSTANCES } from "./demo/demo-sources.js";
import { loadDemoDataset } from "./demo/load-demo-dataset.js";
import { loadDataset } from "./load-dataset.js";
import { datasetStats, selectInstances } from "./select-instances.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-dataset-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));
const lite = join(import.meta.dirname, "..", "specs", "fixtures", "lite-sample.jsonl");

describe("loading datasets", () => {
  it("loads JSONL with decoded or JSON-encoded test lists and keeps extra columns", async () => {
    const dataset = await loadDataset(lite);
    expect(dataset.instances).toHaveLength(20);
    expect(dataset.digest).toMatch(/^[0-9a-f]{64}$/);
    const demo = await loadDemoDataset();
    const calculator = demo.instances.find(
      (instance) => instance.instance_id === "swegate-demo__calculator-2",
    );
    expect(calculator?.FAIL_TO_PASS).toHaveLength(2);
    expect(calculator?.extra.demo_answers).toHaveLength(2);
  });

  it("names file, line and field of a broken row, in one line, exit 2", () => {
    const lines = readFileSync(lite, "utf8").trim().split("\n");
    const row = JSON.parse(lines[2] as string);
    row.FAIL_TO_PASS = "not json";
    lines[2] = JSON.stringify(row);
    const file = join(scratch, "broken.jsonl");
    writeFileSync(file, `${lines.join("\n")}\n`);
    const result = runCli(["dataset", "stats", file, "--json"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain(`${file}:3: field FAIL_TO_PASS`);
  });

  it("names a line that is not JSON and a duplicate id", async () => {
    const file = join(scratch, "garbage.jsonl");
    const first = readFileSync(lite, "utf8").split("\n")[0];
    writeFileSync(file, `${first}\n{oops\n`);
    await expect(loadDataset(file)).rejects.toThrow(/not valid JSON/);
    writeFileSync(file, `${first}\n${first}\n`);
    await expect(loadDataset(file)).rejects.toThrow(/duplicate instance_id/);
  });

  it("loads a JSON array and a parquet file with JSON-string test lists", async () => {
    const rows = readFileSync(lite, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    const jsonFile = join(scratch, "rows.json");
    writeFileSync(jsonFile, JSON.stringify(rows));
    expect((await loadDataset(jsonFile)).instances).toHaveLength(20);

    const { parquetWriteBuffer } = await import("hyparquet-writer");
    const columns = [
      "instance_id",
      "repo",
      "base_commit",
      "patch",
      "test_patch",
      "problem_statement",
      "version",
    ].map((name) => ({
      name,
      data: rows.map((row) => String(row[name])),
      type: "STRING" as const,
    }));
    columns.push({
      name: "FAIL_TO_PASS",
      data: rows.map((row) => JSON.stringify(row.FAIL_TO_PASS)),
      type: "STRING",
    });
    columns.push({
      name: "PASS_TO_PASS",
      data: rows.map((row) => JSON.stringify(row.PASS_TO_PASS)),
      type: "STRING",
    });
    const parquetFile = join(scratch, "rows.parquet");
    writeFileSync(parquetFile, Buffer.from(parquetWriteBuffer({ columnData: columns })));
    const dataset = await loadDataset(parquetFile);
    expect(dataset.instances).toHaveLength(20);
    expect(dataset.instances[0]?.PASS_TO_PASS.length).toBeGreaterThan(0);
  });
});

describe("selection", () => {
  it("samples deterministically whatever the input order, and filters by repo", async () => {
    const { instances } = await loadDataset(lite);
    const forward = selectInstances(instances, { sample: 5, seed: 7 }).map(
      (instance) => instance.instance_id,
    );
    const backward = selectInstances([...instances].reverse(), { sample: 5, seed: 7 }).map(
      (instance) => instance.instance_id,
    );
    expect(forward).toEqual(backward);
    expect(
      selectInstances(instances, { sample: 5, seed: 8 }).map((instance) => instance.instance_id),
    ).not.toEqual(forward);
    expect(selectInstances(instances, { repos: ["django/django"] })).toHaveLength(4);
    expect(selectInstances(instances, { excludeRepos: ["django/django"] })).toHaveLength(16);
    expect(() => selectInstances(instances, { ids: ["nope__nope-1"] })).toThrow(/nope__nope-1/);
    expect(datasetStats(instances).by_repo["sympy/sympy"]).toBe(3);
  });
});

describe("the bundled demo", () => {
  const repos = buildDemoRepositories(join(scratch, "demo-repos"));

  it("builds repositories whose commits are the dataset's base commits", async () => {
    const demo = await loadDemoDataset();
    for (const instance of demo.instances) expect(instance.base_commit).toBe(repos.commits[instance.repo]);
    expect(demo.instances.map((instance) => instance.instance_id).sort()).toEqual(
      DEMO_INSTANCES.map((instance) => instance.instance_id).sort(),
    );
  });

  it("fails before the gold patch and passes after, except the broken and already-passing ones", async () => {
    const demo = await loadDemoDataset();
    for (const instance of demo.instances) {
      const work = join(scratch, instance.instance_id);
      execFileSync("git", [
        "clone",
        "-q",
        repos.repoUrlTemplate.replace("{owner}__{name}", instance.repo.replace("/", "__")),
        work,
      ]);
      execFileSync("git", ["checkout", "-q", instance.base_commit], { cwd: work });
      execFileSync("git", ["apply", "-"], { cwd: work, input: instance.test_patch });
      const pytest = () => {
        try {
          execFileSync(
            "python3",
            ["-m", "pytest", "-q", "-p", "no:cacheprovider", ...instance.FAIL_TO_PASS],
            { cwd: work, stdio: "pipe" },
          );
          return "pass";
        } catch {
          return "fail";
        }
      };
      const before = pytest();
      execFileSync("git", ["apply", "-"], { cwd: work, input: instance.patch });
      const after = pytest();
      const expected =
        instance.instance_id === "swegate-demo__broken-1"
          ? ["fail", "fail"]
          : instance.instance_id === "swegate-demo__already-1"
            ? ["pass", "pass"]
            : ["fail", "pass"];
      expect([instance.instance_id, before, after]).toEqual([instance.instance_id, ...expected]);
    }
  });
});
