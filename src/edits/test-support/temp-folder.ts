import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach } from "vitest";

const folders: string[] = [];

/** Registers cleanup of the temp folders made by makeFolder after each test of the calling file. */
export function cleanFoldersAfterEach(): void {
  afterEach(async () => {
    for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
  });
}

/** A fresh temp folder holding the given files (path → content). */
export function makeFolder(files: Record<string, string>): string {
  const folder = mkdtempSync(join(tmpdir(), "swegate-edits-"));
  folders.push(folder);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(folder, path)), { recursive: true });
    writeFileSync(join(folder, path), content);
  }
  return folder;
}

/** One SEARCH/REPLACE block as a model writes it: path line, optional fence, markers. */
export function writeBlock(path: string, search: string, replace: string, fence = true): string {
  const open = fence ? "```python\n" : "";
  const close = fence ? "```\n" : "";
  return `${path}\n${open}<<<<<<< SEARCH\n${search}=======\n${replace}>>>>>>> REPLACE\n${close}`;
}
