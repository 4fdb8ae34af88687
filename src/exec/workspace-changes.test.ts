import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { archiveFiles, collectWorkspaceChanges, withoutRecordPadding } from "./workspace-changes.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-changes-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const git = (dir: string, ...args: string[]) =>
  execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: dir, encoding: "utf8" });

/** The names and contents tar itself reads back from an archive. */
function listArchive(archive: Buffer): string {
  const out = join(mkdtempSync(join(scratch, "out-")), "archive.tar");
  writeFileSync(out, archive);
  return execFileSync("tar", ["-t", "-v", "-f", out], { encoding: "utf8" });
}

describe("archives for a container", () => {
  it("end right after tar's two zero blocks, with no record padding, and tar still reads them whole", async () => {
    const long = "x".repeat(700); // over tar's 512-byte data block, and a name over 100 characters
    const archive = await archiveFiles({ "a/short.txt": "hi\n", [`a/${"n".repeat(120)}.txt`]: long });
    expect(archive.length % 10240).not.toBe(0);
    expect(archive.subarray(-1024).every((byte) => byte === 0)).toBe(true);
    expect(archive.subarray(-1536, -1024).some((byte) => byte !== 0)).toBe(true);
    const listing = listArchive(archive);
    expect(listing).toContain("a/short.txt");
    expect(listing).toContain(`${"n".repeat(120)}.txt`);
  });

  it("cuts a padded archive at its end marker and leaves one without a marker as it is", () => {
    const dir = mkdtempSync(join(scratch, "files-"));
    writeFileSync(join(dir, "f"), "content\n");
    const padded = execFileSync("tar", ["-c", "-f", "-", "-C", dir, "f"]);
    expect(padded.length).toBe(10240);
    expect(withoutRecordPadding(padded).length).toBe(512 + 512 + 1024);
    const truncated = padded.subarray(0, 1024);
    expect(withoutRecordPadding(truncated)).toEqual(truncated);
  });

  it("takes a checkout's edited and new files into the archive and lists its deletions", async () => {
    const dir = mkdtempSync(join(scratch, "repo-"));
    git(dir, "init", "-q");
    writeFileSync(join(dir, "kept.py"), "a = 1\n");
    writeFileSync(join(dir, "gone.py"), "b = 2\n");
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", "base");
    writeFileSync(join(dir, "kept.py"), "a = 2\n");
    rmSync(join(dir, "gone.py"));
    mkdirSync(join(dir, "pkg"));
    writeFileSync(join(dir, "pkg", "new.py"), "c = 3\n");
    const changes = await collectWorkspaceChanges(dir);
    expect(changes.commit).toBe(git(dir, "rev-parse", "HEAD").trim());
    expect(changes.deleted).toEqual(["gone.py"]);
    const listing = listArchive(changes.archive);
    expect(listing).toContain("kept.py");
    expect(listing).toContain("pkg/new.py");
    expect(listing).not.toContain("gone.py");
    expect(git(dir, "status", "--porcelain")).toContain(" M kept.py"); // the checkout's own index untouched
  });
});
