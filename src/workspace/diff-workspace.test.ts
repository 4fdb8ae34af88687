import { execFileSync } from "node:child_process";
import { readdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { resetToBase } from "./apply-patch.js";
import { diffWorkspace } from "./diff-workspace.js";
import { cleanups, removeCleanups } from "./test-support/make-cache.js";
import { commitFiles, makeGitRepo } from "./test-support/make-git-repo.js";

afterEach(removeCleanups);

describe("diffWorkspace", () => {
  it("sees a same-size edit made in the second the index was written, even when diffing later (racy git)", async () => {
    const repo = makeGitRepo({ "state.txt": "bug 0\n", "t.py": "x = 1\n" });
    cleanups.push(repo.dir);
    const other = commitFiles(repo.dir, { "state.txt": "bug 1\n" }, "other");
    execFileSync("git", ["checkout", "-q", "-f", "--detach", other], { cwd: repo.dir });
    execFileSync("git", ["checkout", "-q", "-f", "--detach", repo.commit], { cwd: repo.dir });
    await resetToBase(repo.dir, repo.commit);
    // The racy case, with every time set by hand rather than by racing the clock: the file's cached
    // time, its time after the edit and the index's own time are one and the same second, long past.
    // Only the index's time then tells git to look at the content. A program cannot set a ctime, so
    // the repository is told not to compare it (as when all of this happens within one second).
    execFileSync("git", ["config", "core.trustctime", "false"], { cwd: repo.dir });
    const state = join(repo.dir, "state.txt");
    const past = new Date("2024-01-01T00:00:00Z");
    utimesSync(state, past, past);
    execFileSync("git", ["update-index", "-q", "--refresh"], { cwd: repo.dir });
    utimesSync(join(repo.dir, ".git", "index"), past, past);
    writeFileSync(state, "fixed\n"); // same size as "bug 0\n"
    utimesSync(state, past, past);
    expect(await diffWorkspace(repo.dir, repo.commit)).toContain("+fixed");
  });

  it("includes new files and deletions, and leaves the checkout's own index alone", async () => {
    const repo = makeGitRepo({ "a.py": "a = 1\n", "b.py": "b = 1\n" });
    cleanups.push(repo.dir);
    writeFileSync(join(repo.dir, "c.py"), "c = 1\n");
    execFileSync("rm", [join(repo.dir, "b.py")]);
    const patch = await diffWorkspace(repo.dir, repo.commit);
    expect(patch).toContain("new file mode 100644");
    expect(patch).toContain("+c = 1");
    expect(patch).toContain("deleted file mode 100644");
    expect(execFileSync("git", ["status", "--porcelain"], { cwd: repo.dir, encoding: "utf8" })).toBe(
      " D b.py\n?? c.py\n",
    );
    expect(readdirSync(join(repo.dir, ".git")).filter((name) => name.includes("swegate"))).toEqual([]);
  });
});
