import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** What a workspace holds beyond its checked-out commit, ready to copy into a container. */
export interface WorkspaceChanges {
  /** Commit the workspace's HEAD names (undefined for a folder that is not a git checkout). */
  commit?: string;
  /** A tar of the changed and new files (paths relative to the workspace), or of every file when not a checkout. */
  archive: Buffer;
  /** Paths (relative) the workspace deleted. */
  deleted: string[];
}

/**
 * The workspace's changes against its HEAD, as files rather than a diff: the container then needs
 * no git to take them, and binary files and modes come along as they are. A throwaway index keeps
 * the workspace's own index untouched. A plain folder is taken whole.
 */
export async function collectWorkspaceChanges(dir: string): Promise<WorkspaceChanges> {
  if (!existsSync(join(dir, ".git"))) {
    const { stdout } = await run("tar", ["-c", "-f", "-", "-C", dir, "."], {
      encoding: "buffer",
      maxBuffer: 1024 * 1024 * 1024,
    });
    return { archive: stdout, deleted: [] };
  }
  const scratch = await mkdtemp(join(tmpdir(), "swegate-changes-"));
  const env = { ...process.env, GIT_INDEX_FILE: join(scratch, "index") };
  try {
    const commit = (await run("git", ["rev-parse", "HEAD"], { cwd: dir })).stdout.trim();
    await run("git", ["read-tree", "HEAD"], { cwd: dir, env });
    await run("git", ["add", "-A", "--", "."], { cwd: dir, env });
    const { stdout } = await run("git", ["diff", "--cached", "--name-status", "--no-renames", "-z", "HEAD"], {
      cwd: dir,
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
    const fields = stdout.split("\0").filter(Boolean);
    const changed: string[] = [];
    const deleted: string[] = [];
    for (let index = 0; index + 1 < fields.length; index += 2) {
      const path = fields[index + 1] as string;
      (fields[index] === "D" ? deleted : changed).push(path);
    }
    const list = join(scratch, "files");
    await writeFile(list, changed.map((path) => `${path}\0`).join(""));
    const archive = (
      await run("tar", ["-c", "-f", "-", "-C", dir, "--null", "--no-recursion", "-T", list], {
        encoding: "buffer",
        maxBuffer: 1024 * 1024 * 1024,
      })
    ).stdout;
    return { commit, archive, deleted };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** A tar of small text files (relative path → content) made with the system's tar. */
export async function archiveFiles(files: Record<string, string>): Promise<Buffer> {
  const scratch = await mkdtemp(join(tmpdir(), "swegate-archive-"));
  try {
    for (const [name, content] of Object.entries(files)) {
      await mkdir(dirname(join(scratch, name)), { recursive: true });
      await writeFile(join(scratch, name), content, { mode: 0o755 });
    }
    return (
      await run("tar", ["-c", "-f", "-", "-C", scratch, ...Object.keys(files)], {
        encoding: "buffer",
        maxBuffer: 256 * 1024 * 1024,
      })
    ).stdout;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
