import { describe, expect, it } from "vitest";
import { parseEdits } from "./parse-edits.js";
import { loadRealEdits, recordName, replayRealEdit } from "./test-support/real-edits.js";

// The 32 real answers of fixtures/real-edits-sample.jsonl (see fixtures/README.md for their origin).
const records = loadRealEdits();

/**
 * Records whose base files are not in the fixtures, so only their parsing is checked: the Django
 * files at these base commits were not to be had from the sources the fixtures use (no Django
 * release on PyPI from 2.1 to 5.0.14 holds, for each file, a blob with the hash the model_patch's
 * `index` line names; see fixtures/README.md). Nothing was reconstructed.
 */
const WITHOUT_BASE_FILES = [
  "django__django-11001",
  "django__django-11039",
  "django__django-12453",
  "django__django-12470",
  "django__django-12589",
  "django__django-12708",
  "django__django-13315",
  "django__django-13710",
  "django__django-14855",
  "django__django-15498",
  "django__django-16139",
  "django__django-16816",
];

/**
 * Records where aider did something no applier could know from the answer. django__django-13710:
 * aider's quote stripping (v0.35 `strip_quoted_wrapping`) dropped the trailing blank line of the
 * second block's REPLACE, so its patch lacks a line the model wrote (meta:
 * aider_quote_stripping_changed_a_block). It is also without base files, so nothing here excuses it.
 */
const AIDER_ONLY = ["django__django-13710"];

describe("real SEARCH/REPLACE answers", () => {
  it("are the sample the fixtures describe: 32 answers, the exceptions named from their meta", () => {
    expect(records).toHaveLength(32);
    const quirky = records.filter((record) => record.meta.aider_quote_stripping_changed_a_block);
    expect(quirky.map(recordName)).toEqual(AIDER_ONLY);
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
      if (WITHOUT_BASE_FILES.includes(record.instance_id)) {
        expect(outcome.status).toBe("no-base-files");
        return;
      }
      expect(outcome.differing).toEqual([]);
      expect(outcome.result?.failed).toEqual([]);
      // Aider's own record of how it matched each block is what ours must report.
      const aider = record.meta.aider_apply_methods;
      if (aider) expect(outcome.result?.applied.map((entry) => entry.method)).toEqual(aider);
    },
  );
});
