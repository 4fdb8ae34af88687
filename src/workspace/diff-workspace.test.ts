import { execFileSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { resetToBase } from "./apply-patch.js";
import { diffWorkspace } from "./diff-workspace.js";
import { cleanups, removeCleanups } from "./test-support/make-cache.js";
import { commitFiles, makeGitRepo } from "./test-support/make-git-repo.js";

afterEach(removeCleanups);

describe("diffWorkspace", () => {
  it("sees a same-size edit made in the second the index was written, even when diffing a second later (racy git)", async () => {
    const repo = makeGitRepo({ "state.txt": "bug 0\n", "t.py": "x = 1\n" });
    cleanups.push(repo.dir);
    const other = commitFiles(repo.dir, { "state.txt": "bug 1\n" }, "other");
    const second = () => Math.floor(Date.now() / 1000);
    // Checkout, reset and edit inside one wall-clock second, so the file's cached time and its new
    // time agree to the second: only the index's own time tells git to look at the content.
    for (let round = 0; round < 10; round++) {
      const started = second();
      execFileSync("git", ["checkout", "-q", "-f", "--detach", other], { cwd: repo.dir });
      execFileSync("git", ["checkout", "-q", "-f", "--detach", repo.commit], { cwd: repo.dir });
      await resetToBase(repo.dir, repo.commit);
      writeFileSync(join(repo.dir, "state.txt"), "fixed\n"); // same size as "bug 0\n"
      if (second() !== started) continue;
      await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
      expect(await diffWorkspace(repo.dir, repo.commit)).toContain("+fixed");
      return;
    }
    throw new Error("could not check out, reset and edit within one second in 10 tries");
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
