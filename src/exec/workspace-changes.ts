import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { withStagedWorkspace } from "../workspace/diff-workspace.js";
import { git, gitOrThrow } from "../workspace/git.js";

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
 * no git to take them, and binary files and modes come along as they are. The same throwaway index
 * as the candidate's diff keeps the workspace's own index untouched. A plain folder is taken whole.
 */
export async function collectWorkspaceChanges(dir: string): Promise<WorkspaceChanges> {
  if (!existsSync(join(dir, ".git"))) {
    return { archive: await createTar(["-C", dir, "."]), deleted: [] };
  }
  const commit = (await gitOrThrow(["rev-parse", "HEAD"], { cwd: dir })).trim();
  const listed = await withStagedWorkspace(dir, (env) =>
    git(["diff", "--cached", "--name-status", "--no-renames", "-z", commit], { cwd: dir, env }),
  );
  if (listed.code !== 0) throw new Error(`git diff failed in ${dir}: ${listed.stderr.trim()}`);
  const fields = listed.stdout.split("\0").filter(Boolean);
  const changed: string[] = [];
  const deleted: string[] = [];
  for (let index = 0; index + 1 < fields.length; index += 2) {
    const path = fields[index + 1] as string;
    (fields[index] === "D" ? deleted : changed).push(path);
  }
  const scratch = await mkdtemp(join(tmpdir(), "swegate-changes-"));
  try {
    const list = join(scratch, "files");
    await writeFile(list, changed.map((path) => `${path}\0`).join(""));
    const archive = await createTar(["-C", dir, "--null", "--no-recursion", "-T", list]);
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
    return await createTar(["-C", scratch, ...Object.keys(files)]);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** A tar made by the system's tar, cut at its end-of-archive marker. */
async function createTar(args: string[]): Promise<Buffer> {
  const { stdout } = await run("tar", ["-c", "-f", "-", ...args], {
    encoding: "buffer",
    maxBuffer: 1024 * 1024 * 1024,
  });
  return withoutRecordPadding(stdout);
}

const BLOCK = 512;

/**
 * The archive up to and including its two zero blocks. tar pads the last record (10 KiB for GNU
 * tar) with more zeros; Podman's copy-in stops reading at the marker and fails the upload with
 * "broken pipe" when the padding is still being sent (buildah issue 6573). Walks the headers, so it
 * holds for any tar: each header's size field says how many data blocks follow it.
 */
export function withoutRecordPadding(archive: Buffer): Buffer {
  let offset = 0;
  while (offset + BLOCK <= archive.length) {
    const header = archive.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0))
      return archive.subarray(0, Math.min(archive.length, offset + 2 * BLOCK));
    offset += BLOCK + Math.ceil(entrySize(header) / BLOCK) * BLOCK;
  }
  return archive;
}

/** A header's size field: octal text, or base-256 when its first byte has the high bit set (GNU, over 8 GiB). */
function entrySize(header: Buffer): number {
  const field = header.subarray(124, 136);
  if ((field[0] as number) & 0x80) {
    let size = (field[0] as number) & 0x7f;
    for (const byte of field.subarray(1)) size = size * 256 + byte;
    return size;
  }
  const text = field
    .toString("latin1")
    .replace(/[\0 ]+$/g, "")
    .trim();
  return text ? Number.parseInt(text, 8) : 0;
}
