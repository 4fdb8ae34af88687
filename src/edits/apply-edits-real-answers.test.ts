import { describe, expect, it } from "vitest";
import { parseEdits } from "./parse-edits.js";
import { loadRealEdits, recordName, replayRealEdit } from "./test-support/real-edits.js";

// The 32 real answers of fixtures/real-edits-sample.jsonl (see fixtures/README.md for their origin).
const records = loadRealEdits();

/**
 * Records where aider did something no applier could know from the answer, with the one file where
 * our result must differ from aider's because of it. django__django-13710: aider's quote stripping
 * (v0.35 `strip_quoted_wrapping`) dropped the trailing blank line of the second block's REPLACE, so
 * its tests/admin_inlines/tests.py lacks one blank line the model wrote (meta:
 * aider_quote_stripping_changed_a_block); ours keeps it and is otherwise the same.
 */
const AIDER_ONLY: Record<string, string> = { "django__django-13710": "tests/admin_inlines/tests.py" };

/** True when `ours` is `theirs` with exactly one more line, and that line is blank. */
function hasOneExtraBlankLine(ours: string, theirs: string): boolean {
  const mine = ours.split("\n");
  const other = theirs.split("\n");
  const at = mine.findIndex((line, index) => line !== other[index]);
  return (
    mine.length === other.length + 1 &&
    at >= 0 &&
    mine[at] === "" &&
    mine.slice(at + 1).join("\n") === other.slice(at).join("\n")
  );
}

describe("real SEARCH/REPLACE answers", () => {
  it("are the sample the fixtures describe: 32 answers, the exceptions named from their meta", () => {
    expect(records).toHaveLength(32);
    const quirky = records.filter((record) => record.meta.aider_quote_stripping_changed_a_block);
    expect(quirky.map(recordName)).toEqual(Object.keys(AIDER_ONLY));
  });

  it.each(records.map((record) => [recordName(record), record] as const))(
    "%s parses into the blocks and files of the answering system's patch",
    (_name, record) => {
      const { edits, problems } = parseEdits(record.raw_answer);
      expect(problems).toEqual([]);
      expect(edits).toHaveLength(record.meta.n_blocks);
      const patched = [...record.model_patch.matchAll(/^diff --git a\/(\S+) b\//gm)].map((match) => match[1]);
      expect([...new Set(edits.map((edit) => edit.path))].sort()).toEqual([...new Set(patched)].sort());
    },
  );

  it.each(records.map((record) => [recordName(record), record] as const))(
    "%s applies to the answering system's files",
    async (_name, record) => {
      const outcome = await replayRealEdit(record);
      // Every record has its base files (fixtures/README.md says where each came from).
      expect(outcome.status).not.toBe("no-base-files");
      const aiderOnly = AIDER_ONLY[record.instance_id];
      expect(outcome.differing).toEqual(aiderOnly ? [aiderOnly] : []);
      if (aiderOnly) {
        const { expected, actual } = outcome.contents[aiderOnly] ?? {};
        expect(hasOneExtraBlankLine(actual ?? "", expected ?? "")).toBe(true);
      }
      expect(outcome.result?.failed).toEqual([]);
      // Aider's own record of how it matched each block is what ours must report.
      const aider = record.meta.aider_apply_methods;
      if (aider) expect(outcome.result?.applied.map((entry) => entry.method)).toEqual(aider);
    },
  );
});
