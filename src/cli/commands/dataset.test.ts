import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeParquetDataset } from "../../dataset/test-support/write-parquet-dataset.js";
import { runCli, runCliAsync } from "../test-support/run-cli.js";

const lite = join(import.meta.dirname, "..", "..", "specs", "fixtures", "lite-sample.jsonl");
let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "swegate-dataset-cli-"));
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe("swegate dataset stats", () => {
  it("prints per-repository counts as JSON only, and as a table without --json", () => {
    const result = runCli(["dataset", "stats", lite, "--json"]);
    expect(result.code).toBe(0);
    const stats = JSON.parse(result.stdout);
    expect(stats.total).toBe(20);
    expect(stats.by_repo["django/django"]).toBe(4);
    expect(Object.keys(stats.by_repo_version).every((key) => key.includes("@"))).toBe(true);

    const table = runCli(["dataset", "stats", lite, "--repos", "django/django"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^total: 4$/m);
    expect(table.stdout).toMatch(/^\s+4\s+django\/django$/m);
  });

  it("defaults to the bundled demo", () => {
    const stats = JSON.parse(runCli(["dataset", "stats", "--json"]).stdout);
    expect(stats.total).toBe(5);
    expect(stats.by_repo_version).toEqual({
      "swegate-demo/calculator@0.1": 3,
      "swegate-demo/textutils@0.1": 2,
    });
  });

  it("stops on a broken JSONL line with FILE:LINE and the field in one line, exit 2", () => {
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
    expect(result.stderr).toContain(`${file}:3: field FAIL_TO_PASS: expected a JSON list of strings`);
  });
});

describe("swegate dataset list and the selection flags", () => {
  it("selects by --instances-file (with comments), --exclude-repos and --sample/--seed", () => {
    const ids = readFileSync(lite, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line).instance_id as string);
    const file = join(scratch, "ids.txt");
    writeFileSync(file, `# the ones I care about\n${ids[0]}\n\n${ids[3]}  # flaky upstream\n`);
    const listed = JSON.parse(runCli(["dataset", "list", lite, "--instances-file", file, "--json"]).stdout);
    expect(listed.map((entry: { instance_id: string }) => entry.instance_id)).toEqual([ids[0], ids[3]]);

    const sample = (seed: string) =>
      runCli(["dataset", "list", lite, "--sample", "4", "--seed", seed]).stdout;
    expect(sample("3").trim().split("\n")).toHaveLength(4);
    expect(sample("3")).toBe(sample("3"));
    expect(sample("3")).not.toBe(sample("4"));

    const rest = runCli(["dataset", "list", lite, "--exclude-repos", "django/django,sympy/sympy", "--json"]);
    expect(JSON.parse(rest.stdout)).toHaveLength(13);
  });

  it("refuses unknown ids and a bad --sample in one line, exit 2", () => {
    const unknown = runCli(["dataset", "list", lite, "--instances", "nope__nope-1,nope__nope-2"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown instance ids: nope__nope-1, nope__nope-2");
    const sample = runCli(["dataset", "list", lite, "--sample", "many"]);
    expect(sample.code).toBe(2);
    expect(sample.stderr).toContain("--sample=many");
  });
});

describe("bad input stops before anything runs", () => {
  /** Exit 2 with exactly one line on stderr and nothing on stdout; returns that line. */
  const oneLineError = (args: string[]): string => {
    const result = runCli(args);
    expect(result.code, result.stdout + result.stderr).toBe(2);
    expect(result.stdout).toBe("");
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    return lines[0] as string;
  };

  it("refuses an empty dataset file, naming it", () => {
    const file = join(scratch, "empty.jsonl");
    writeFileSync(file, "");
    for (const command of ["stats", "list"])
      expect(oneLineError(["dataset", command, file])).toContain(`${file}: the dataset has no instances`);
  });

  it("refuses a selection that selects nothing, naming the option and its value", () => {
    expect(oneLineError(["dataset", "stats", lite, "--repos", "nobody/none"])).toContain(
      `--repos=nobody/none: selects no instance of the 20 in ${lite}`,
    );
    expect(oneLineError(["dataset", "list", "--repos", "nobody/none", "--json"])).toContain(
      "--repos=nobody/none: selects no instance of the 5 in demo",
    );
    expect(oneLineError(["dataset", "list", lite, "--instances", "nope"])).toContain(
      "unknown instance id: nope",
    );
    expect(oneLineError(["dataset", "list", lite, "--sample", "0"])).toContain(
      "--sample=0: must be a whole number of at least 1",
    );
    // A flag that lists nothing would otherwise select the whole dataset.
    expect(oneLineError(["dataset", "list", lite, "--instances", ","])).toContain(
      "--instances=,: names no instance id",
    );
    const ids = join(scratch, "no-ids.txt");
    writeFileSync(ids, "# nothing yet\n\n");
    expect(oneLineError(["dataset", "list", lite, "--instances-file", ids])).toContain(
      `--instances-file=${ids}: lists no instance id`,
    );
    expect(
      oneLineError(["dataset", "list", lite, "--repos", "django/django", "--exclude-repos", "django/django"]),
    ).toContain("--exclude-repos=django/django: leaves no instance selected");
  });

  it("refuses a row without FAIL_TO_PASS tests and an instance_id that is a path, with file:line and field", () => {
    const lines = readFileSync(lite, "utf8").trim().split("\n");
    const file = join(scratch, "bad-rows.jsonl");
    const row = JSON.parse(lines[1] as string);
    writeFileSync(file, `${lines[0]}\n${JSON.stringify({ ...row, FAIL_TO_PASS: "[]" })}\n`);
    expect(oneLineError(["dataset", "list", file])).toContain(
      `${file}:2: field FAIL_TO_PASS: expected at least one test`,
    );
    writeFileSync(file, `${lines[0]}\n${JSON.stringify({ ...row, instance_id: "../../../../X" })}\n`);
    expect(oneLineError(["dataset", "stats", file])).toContain(
      `${file}:2: field instance_id: "../../../../X" contains a path separator`,
    );
  });
});

describe("swegate dataset fetch", () => {
  let server: Server;
  let baseUrl: string;
  const requested: string[] = [];
  beforeAll(async () => {
    const parquet = join(scratch, "served.parquet");
    const rows = readFileSync(lite, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    writeParquetDataset(parquet, rows);
    const bytes = readFileSync(parquet);
    server = createServer((request, response) => {
      requested.push(request.url ?? "");
      if (request.url?.startsWith("/datasets/") && !request.url.includes("/elsewhere/")) {
        response.writeHead(200, { "content-length": bytes.length });
        response.end(bytes);
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/datasets`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("downloads the official file into the cache, validates it, and reuses it next time", async () => {
    const cacheDir = join(scratch, "cache");
    const env = { SWEGATE_HF_BASE_URL: baseUrl };
    const first = await runCliAsync(["dataset", "fetch", "lite", "--cache-dir", cacheDir, "--json"], { env });
    expect(first.code).toBe(0);
    const report = JSON.parse(first.stdout);
    expect(report).toMatchObject({ dataset: "lite", instances: 20, cached: false });
    expect(report.path).toBe(join(cacheDir, "datasets", "swe-bench-lite.parquet"));
    expect(requested).toEqual([
      "/datasets/princeton-nlp/SWE-bench_Lite/resolve/main/data/test-00000-of-00001.parquet",
    ]);

    const second = await runCliAsync(["dataset", "fetch", "lite", "--cache-dir", cacheDir], { env });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("already in the cache");
    expect(requested).toHaveLength(1);

    const stats = runCli(["dataset", "stats", report.path, "--json"]);
    expect(JSON.parse(stats.stdout).total).toBe(20);
  });

  it("prints plain progress lines when stderr is not a terminal", async () => {
    const cacheDir = join(scratch, "cache-progress");
    const result = await runCliAsync(["dataset", "fetch", "verified", "--cache-dir", cacheDir], {
      env: { SWEGATE_HF_BASE_URL: baseUrl },
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^downloaded [\d.]+ MB \(100%\)$/m);
    expect(requested.at(-1)).toBe(
      "/datasets/SWE-bench/SWE-bench_Verified/resolve/main/data/test-00000-of-00001.parquet",
    );
  });

  it("fails offline with one clear line and exit 3, leaving nothing in the cache", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const cacheDir = join(scratch, "cache-offline");
    const result = await runCliAsync(["dataset", "fetch", "full", "--cache-dir", cacheDir], {
      env: { SWEGATE_HF_BASE_URL: `http://127.0.0.1:${port}` },
    });
    expect(result.code).toBe(3);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain(`cannot reach 127.0.0.1:${port}: connection refused`);
    expect(result.stderr).toContain("looks offline");
    const stats = runCli(["dataset", "stats", join(cacheDir, "datasets", "swe-bench-full.parquet")]);
    expect(stats.code).toBe(2);
  });

  it("refuses an unknown dataset name and reports an HTTP error", async () => {
    const unknown = runCli(["dataset", "fetch", "huge"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("use lite, verified or full");
    const missing = await runCliAsync(["dataset", "fetch", "full", "--cache-dir", join(scratch, "c404")], {
      env: { SWEGATE_HF_BASE_URL: `${baseUrl}/elsewhere` },
    });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain("download failed: HTTP 404");
  });
});
