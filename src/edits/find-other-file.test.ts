import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyEdits } from "./apply-edits.js";
import { describeEditResult } from "./describe-edit-failures.js";
import { parseEdits } from "./parse-edits.js";
import { cleanFoldersAfterEach, makeFolder, writeBlock } from "./test-support/temp-folder.js";

cleanFoldersAfterEach();

const fixture = (instance: string, path: string) =>
  readFileSync(join(import.meta.dirname, "fixtures/real-edits", instance, path), "utf8");
// Two real sibling modules (django/forms at django__django-15202's and -14915's base commits).
const fields = fixture("django__django-15202", "django/forms/fields.py");
const models = fixture("django__django-14915", "django/forms/models.py");
// django__django-15202's real SEARCH, which is in fields.py only.
const search =
  "            except ValueError:\n                # urlparse.urlsplit can raise a ValueError with some\n                # misformatted URLs.\n                raise ValidationError(self.error_messages['invalid'], code='invalid')\n";
const replace = search.replace("except ValueError:", "except ValueError as e:");
const read = (folder: string, path: string) => readFileSync(join(folder, path), "utf8");

describe("applyEdits on a block that names the wrong file", () => {
  it("applies it to the one other tracked file it matches, and says so", async () => {
    const folder = makeFolder({ "django/forms/fields.py": fields, "django/forms/models.py": models });
    const result = await applyEdits(
      folder,
      parseEdits(writeBlock("django/forms/models.py", search, replace)).edits,
      {
        trackedFiles: ["django/forms/fields.py", "django/forms/models.py"],
      },
    );
    expect(result).toEqual({
      applied: [
        {
          path: "django/forms/fields.py",
          blockIndex: 0,
          method: "exact",
          namedPath: "django/forms/models.py",
        },
      ],
      failed: [],
      filesChanged: ["django/forms/fields.py"],
    });
    expect(describeEditResult(result)).toContain(
      "#1 django/forms/fields.py (applied to django/forms/fields.py instead of django/forms/models.py)",
    );
    expect(read(folder, "django/forms/fields.py")).toBe(fields.replace(search, replace));
    expect(read(folder, "django/forms/models.py")).toBe(models);
  });

  it("also when the named file does not exist, taking the tracked files from git by default", async () => {
    const folder = makeFolder({ "django/forms/fields.py": fields, "untracked.py": fields });
    for (const args of [
      ["init", "-q"],
      ["add", "django"],
      ["-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "base"],
    ])
      spawnSync("git", args, { cwd: folder });
    const result = await applyEdits(
      folder,
      parseEdits(writeBlock("django/forms/field.py", search, replace)).edits,
    );
    expect(result.applied).toEqual([
      { path: "django/forms/fields.py", blockIndex: 0, method: "exact", namedPath: "django/forms/field.py" },
    ]);
    expect(read(folder, "untracked.py")).toBe(fields);
  });

  it("refuses to choose when several other files match, naming them", async () => {
    const folder = makeFolder({ "a.py": fields, "b.py": fields, "named.py": models });
    const result = await applyEdits(folder, parseEdits(writeBlock("named.py", search, replace)).edits, {
      trackedFiles: ["a.py", "b.py", "named.py"],
    });
    expect(result.applied).toEqual([]);
    expect(result.failed[0]?.reason).toBe(
      "SEARCH does not match the file; it matches 2 other files (a.py, b.py), so it was not moved to one",
    );
    expect(read(folder, "a.py")).toBe(fields);
  });

  it("reports a block that matches nothing anywhere, and still applies the others", async () => {
    const folder = makeFolder({ "django/forms/fields.py": fields });
    const answer =
      writeBlock("django/forms/fields.py", "no such line\n", "x\n") +
      writeBlock("django/forms/fields.py", search, replace);
    const result = await applyEdits(folder, parseEdits(answer).edits, {
      trackedFiles: ["django/forms/fields.py"],
    });
    expect(result.failed.map((entry) => [entry.blockIndex, entry.reason])).toEqual([
      [0, "SEARCH does not match the file"],
    ]);
    expect(result.applied.map((entry) => entry.blockIndex)).toEqual([1]);
    expect(read(folder, "django/forms/fields.py")).toBe(fields.replace(search, replace));
  });
});
