import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { UserError } from "../errors.js";
import { readPredictions } from "./read-predictions.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-predictions-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
};

describe("readPredictions", () => {
  const expected = [
    { instance_id: "a__a-1", model_name_or_path: "m/x", model_patch: "diff --git a/x b/x\n" },
    { instance_id: "b__b-2", model_name_or_path: "None", model_patch: null },
  ];

  it("reads JSONL, a JSON list and SWE-agent's dict keyed by instance id alike", () => {
    const rows = [
      { instance_id: "a__a-1", model_name_or_path: "m/x", model_patch: "diff --git a/x b/x\n" },
      { instance_id: "b__b-2" },
    ];
    expect(
      readPredictions(file("p.jsonl", `${rows.map((row) => JSON.stringify(row)).join("\n")}\n\n`)),
    ).toEqual(expected);
    expect(readPredictions(file("p.json", JSON.stringify(rows)))).toEqual(expected);
    const dict = {
      "a__a-1": { model_name_or_path: "m/x", model_patch: expected[0]?.model_patch },
      "b__b-2": {},
    };
    expect(readPredictions(file("d.json", JSON.stringify(dict)))).toEqual(expected);
    expect(readPredictions(file("one.json", JSON.stringify(rows[0])))).toEqual([expected[0]]);
  });

  it("names the file and line of a bad row", () => {
    const path = file("bad.jsonl", '{"instance_id": "a__a-1"}\n{"model_patch": "x"}\n');
    expect(() => readPredictions(path)).toThrow(/prediction without instance_id/);
    try {
      readPredictions(path);
    } catch (error) {
      expect((error as { where?: string }).where).toBe(`${path}:2`);
    }
    expect(() => readPredictions(file("broken.jsonl", '{"instance_id": "a"}\n{oops\n'))).toThrow(
      /not valid JSON/,
    );
    expect(() => readPredictions(join(scratch, "absent.jsonl"))).toThrow(/cannot read predictions/);
  });

  it("refuses an instance_id or model name that would leave the eval layout, naming file and line", () => {
    const ok = JSON.stringify({ instance_id: "a__a-1", model_name_or_path: "org/model", model_patch: null });
    const where = (text: string) => {
      const path = file("escape.jsonl", `${ok}\n${text}\n`);
      try {
        readPredictions(path);
      } catch (error) {
        return (error as UserError).oneLine().replace(path, "FILE");
      }
      return "read without error";
    };
    expect(where(JSON.stringify({ instance_id: "../../../../X", model_patch: "x" }))).toBe(
      'FILE:2: field instance_id: "../../../../X" contains a path separator (/ or \\) (give a plain name such as django__django-11099)',
    );
    // `/` becomes `__` as in the harness, so only what survives that can escape.
    expect(where(JSON.stringify({ instance_id: "b__b-2", model_name_or_path: "../../X" }))).toMatch(
      /^FILE:2: field model_name_or_path: "..\/..\/X" starts with a dot/,
    );
    expect(where(JSON.stringify({ instance_id: "b__b-2", model_name_or_path: "..\\..\\X" }))).toMatch(
      /^FILE:2: field model_name_or_path: .* contains a path separator/,
    );
    const dict = file("escape.json", JSON.stringify({ "..": { model_patch: "x" } }));
    expect(() => readPredictions(dict)).toThrow(/field instance_id: "\.\." starts with a dot/);
  });
});
