import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyEdits } from "./apply-edits.js";
import { describeEditResult } from "./describe-edit-failures.js";
import { parseEdits } from "./parse-edits.js";
import { cleanFoldersAfterEach, makeFolder, writeBlock } from "./test-support/temp-folder.js";

cleanFoldersAfterEach();

describe("applyEdits on a block with several ======= lines", () => {
  it("cuts it at the divider whose SEARCH matches the file (the longest that does)", async () => {
    const folder = makeFolder({ "docs/index.rst": "Intro\n\nTitle\n=======\n\nText.\n" });
    const answer = writeBlock("docs/index.rst", "Title\n=======\n", "New title\n=======\n");
    const result = await applyEdits(folder, parseEdits(answer).edits);
    expect(result.applied).toEqual([
      { path: "docs/index.rst", blockIndex: 0, method: "exact", dividerLine: 6 },
    ]);
    expect(describeEditResult(result)).toContain("divided at the ======= on answer line 6");
    expect(readFileSync(join(folder, "docs/index.rst"), "utf8")).toBe(
      "Intro\n\nNew title\n=======\n\nText.\n",
    );
  });

  it("reports the first reading's failure when no reading matches", async () => {
    const folder = makeFolder({ "docs/index.rst": "Other\n" });
    const answer = writeBlock("docs/index.rst", "Title\n=======\n", "New title\n=======\n");
    const result = await applyEdits(folder, parseEdits(answer).edits);
    expect(result.failed).toMatchObject([{ reason: "SEARCH does not match the file" }]);
  });
});
