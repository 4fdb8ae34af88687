import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { loadDataset } from "./load-dataset.js";
import { writeParquetDataset } from "./test-support/write-parquet-dataset.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-load-dataset-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));
const lite = join(import.meta.dirname, "..", "specs", "fixtures", "lite-sample.jsonl");
const liteRows = (): Record<string, unknown>[] =>
  readFileSync(lite, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));

/** The one-line message the CLI would print for a load that fails. */
async function loadError(path: string): Promise<string> {
  try {
    await loadDataset(path);
  } catch (error) {
    if (error instanceof UserError) return error.oneLine();
    throw error;
  }
  throw new Error(`${path} loaded, but should not have`);
}

describe("loadDataset", () => {
  it("loads JSONL rows with decoded lists, keeps unknown columns in extra, digests the bytes", async () => {
    const dataset = await loadDataset(lite);
    expect(dataset.instances).toHaveLength(20);
    expect(dataset.source).toBe(lite);
    expect(dataset.digest).toMatch(/^[0-9a-f]{64}$/);
    const first = dataset.instances[0];
    expect(first?.FAIL_TO_PASS).toEqual([
      "test_alter_unique_together_fk_to_m2m (migrations.test_autodetector.AutodetectorTests)",
      "#23938 - Changing a ManyToManyField into a concrete field",
    ]);
    expect(first?.extra).toEqual({});

    const rows = liteRows().map((row) => ({
      ...row,
      FAIL_TO_PASS: JSON.stringify(row.FAIL_TO_PASS),
      image: "swebench/sweb.eval.x86_64.demo:latest",
      log_parser: "parse_log_pytest",
    }));
    const encoded = join(scratch, "encoded.jsonl");
    writeFileSync(encoded, `${rows.map((row) => JSON.stringify(row)).join("\n")}\n\n`);
    const again = await loadDataset(encoded);
    expect(again.instances.map((instance) => instance.FAIL_TO_PASS)).toEqual(
      dataset.instances.map((instance) => instance.FAIL_TO_PASS),
    );
    expect(again.instances[0]?.extra).toEqual({
      image: "swebench/sweb.eval.x86_64.demo:latest",
      log_parser: "parse_log_pytest",
    });
    expect(again.digest).not.toBe(dataset.digest);
  });

  it("loads a JSON array and a {rows: [...]} object", async () => {
    const arrayFile = join(scratch, "rows.json");
    writeFileSync(arrayFile, JSON.stringify(liteRows(), null, 2));
    expect((await loadDataset(arrayFile)).instances).toHaveLength(20);
    const objectFile = join(scratch, "object.json");
    writeFileSync(objectFile, JSON.stringify({ rows: liteRows().slice(0, 3) }));
    expect((await loadDataset(objectFile)).instances).toHaveLength(3);
  });

  it("loads parquet with JSON-string test lists and turns int64 columns into numbers", async () => {
    const rows = liteRows();
    const file = join(scratch, "rows.parquet");
    writeParquetDataset(file, rows, [
      { name: "row_number", data: rows.map((_row, index) => BigInt(index)), type: "INT64" },
      { name: "eval_script", data: rows.map(() => "#!/bin/bash\npytest"), type: "STRING" },
    ]);
    const dataset = await loadDataset(file);
    expect(dataset.instances.map((instance) => instance.instance_id)).toEqual(
      rows.map((row) => row.instance_id),
    );
    expect(dataset.instances[2]?.FAIL_TO_PASS).toEqual(rows[2]?.FAIL_TO_PASS);
    expect(dataset.instances[2]?.PASS_TO_PASS).toEqual(rows[2]?.PASS_TO_PASS);
    expect(dataset.instances[5]?.extra).toEqual({ row_number: 5, eval_script: "#!/bin/bash\npytest" });
    // Instances go into JSON (store, reports): nothing may be left that JSON cannot hold.
    expect(() => JSON.stringify(dataset.instances)).not.toThrow();
  });

  it("names file, line and field of a bad JSONL row in one line", async () => {
    const lines = readFileSync(lite, "utf8").trim().split("\n");
    const row = JSON.parse(lines[16] as string);
    row.FAIL_TO_PASS = "not json";
    lines[16] = JSON.stringify(row);
    const file = join(scratch, "data.jsonl");
    writeFileSync(file, `${lines.join("\n")}\n`);
    const message = await loadError(file);
    expect(message).toMatch(new RegExp(`^${file}:17: field FAIL_TO_PASS: expected a JSON list of strings`));
    expect(message).not.toContain("\n");

    row.FAIL_TO_PASS = [1, 2];
    lines[16] = JSON.stringify(row);
    writeFileSync(file, `${lines.join("\n")}\n`);
    expect(await loadError(file)).toContain(`${file}:17: field FAIL_TO_PASS`);

    delete row.repo;
    lines[16] = JSON.stringify(row);
    writeFileSync(file, `${lines.join("\n")}\n`);
    expect(await loadError(file)).toContain(`${file}:17: field repo`);
  });

  it("refuses an instance_id that is not one plain folder name, naming file, line and field", async () => {
    const lines = readFileSync(lite, "utf8").trim().split("\n");
    const file = join(scratch, "escape.jsonl");
    for (const [id, problem] of [
      ["../../../../X", "contains a path separator"],
      ["..", "starts with a dot"],
      ["a\\b", "contains a path separator"],
      ["x\u001b[31m", "contains a control character"],
      ["", "is empty"],
      ["x".repeat(300), "is longer than 200 bytes"],
    ]) {
      const row = JSON.parse(lines[1] as string);
      row.instance_id = id;
      writeFileSync(file, `${lines[0]}\n${JSON.stringify(row)}\n`);
      const message = await loadError(file);
      expect(message).toMatch(new RegExp(`^${file}:2: field instance_id: .* ${problem}`));
      expect(message).not.toContain("\n");
    }
    const row = JSON.parse(lines[1] as string);
    row.repo = "../..";
    writeFileSync(file, `${JSON.stringify(row)}\n`);
    expect(await loadError(file)).toContain(`${file}:1: field repo: expected owner/name`);
  });

  it("refuses a row without FAIL_TO_PASS tests, as a list or as a JSON string", async () => {
    const row = JSON.parse(readFileSync(lite, "utf8").split("\n")[3] as string);
    const file = join(scratch, "no-f2p.jsonl");
    for (const empty of [[], "[]"]) {
      writeFileSync(file, `\n${JSON.stringify({ ...row, FAIL_TO_PASS: empty })}\n`);
      expect(await loadError(file)).toBe(
        `${file}:2: field FAIL_TO_PASS: expected at least one test, got ${JSON.stringify(empty)} (fix the row or drop it from the file)`,
      );
    }
  });

  it("refuses a dataset without rows: an empty file, blank lines, an empty JSON array", async () => {
    for (const [name, text] of [
      ["empty.jsonl", ""],
      ["blank.jsonl", "\n\n  \n"],
      ["empty.json", "[]"],
      ["empty-rows.json", '{"rows": []}'],
    ] as const) {
      const file = join(scratch, name);
      writeFileSync(file, text);
      expect(await loadError(file)).toMatch(new RegExp(`^${file}: the dataset has no instances \\(`));
    }
  });

  it("names the row of a bad JSON array entry and of a bad parquet row", async () => {
    const rows = liteRows();
    (rows[4] as Record<string, unknown>).base_commit = "not a commit";
    const jsonFile = join(scratch, "bad.json");
    writeFileSync(jsonFile, JSON.stringify(rows));
    expect(await loadError(jsonFile)).toContain(`${jsonFile}: row 5: field base_commit`);

    const parquetRows = liteRows();
    (parquetRows[7] as Record<string, unknown>).PASS_TO_PASS = "[broken";
    const parquetFile = join(scratch, "bad.parquet");
    writeParquetDataset(parquetFile, parquetRows);
    expect(await loadError(parquetFile)).toContain(`${parquetFile}: row 8: field PASS_TO_PASS`);
  });

  it("names a line that is not JSON, a duplicate id with both places, and an unreadable file", async () => {
    const file = join(scratch, "garbage.jsonl");
    const first = readFileSync(lite, "utf8").split("\n")[0];
    writeFileSync(file, `${first}\n\n{oops\n`);
    expect(await loadError(file)).toMatch(new RegExp(`^${file}:3: line is not valid JSON`));
    writeFileSync(file, `${first}\n\n${first}\n`);
    expect(await loadError(file)).toMatch(
      new RegExp(`^${file}:3: duplicate instance_id \\S+ \\(first at ${file}:1\\)`),
    );
    expect(await loadError(join(scratch, "missing.jsonl"))).toContain(
      "missing.jsonl: cannot read dataset: ENOENT",
    );
    const notParquet = join(scratch, "junk.parquet");
    writeFileSync(notParquet, "PAR1 but not really");
    expect(await loadError(notParquet)).toContain(`${notParquet}: not a readable parquet file`);
  });
});
