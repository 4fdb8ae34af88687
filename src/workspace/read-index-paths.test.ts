import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readIndexPaths } from "./read-index-paths.js";
import { cleanups, removeCleanups } from "./test-support/make-cache.js";
import { makeGitRepo } from "./test-support/make-git-repo.js";

afterEach(removeCleanups);

const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8" });
const lsFiles = (dir: string) => git(dir, "ls-files", "-z").split("\0").filter(Boolean);

const files: Record<string, string> = {
  "a.py": "a\n",
  "pkg/__init__.py": "",
  "pkg/sub/deep_module_name.py": "x\n",
  "pkg/sub/deep_module_other.py": "y\n",
  "docs/ünïcode file.txt": "u\n",
  [`z/${"long_".repeat(30)}.py`]: "l\n",
};

describe("readIndexPaths", () => {
  it("lists what git ls-files lists, for index versions 2, 3 (extended flags) and 4 (compressed names)", async () => {
    const repo = makeGitRepo(files);
    cleanups.push(repo.dir);
    const index = join(repo.dir, ".git", "index");
    expect(await readIndexPaths(index)).toEqual(lsFiles(repo.dir));
    // An intent-to-add entry needs extended flags, which makes git write version 3.
    writeFileSync(join(repo.dir, "new.py"), "n\n");
    git(repo.dir, "add", "-N", "new.py");
    expect(readFileSync(index).readUInt32BE(4)).toBe(3);
    expect(await readIndexPaths(index)).toEqual(lsFiles(repo.dir));
    git(repo.dir, "update-index", "--index-version", "4");
    expect(readFileSync(index).readUInt32BE(4)).toBe(4);
    expect(await readIndexPaths(index)).toEqual(lsFiles(repo.dir));
    expect(lsFiles(repo.dir)).toHaveLength(7);
  });

  it("gives up (undefined) on a SHA-256 repository, a missing file and bytes that are not an index", async () => {
    const dir = mkdtempSync(join(tmpdir(), "swegate-sha256-"));
    cleanups.push(dir);
    git(dir, "init", "-q", "--object-format=sha256");
    writeFileSync(join(dir, "a.py"), "a\n");
    git(dir, "add", "a.py");
    expect(await readIndexPaths(join(dir, ".git", "index"))).toBeUndefined();
    expect(await readIndexPaths(join(dir, "absent"))).toBeUndefined();
    writeFileSync(join(dir, "junk"), "DIRC\0\0\0\x02\0\0\0\x05short");
    expect(await readIndexPaths(join(dir, "junk"))).toBeUndefined();
  });
});
