import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  listSpecEnvironments,
  parseSize,
  pruneSpecEnvironments,
  specEnvironmentsDir,
} from "./spec-environments.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-prune-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

/** A built-looking environment of about `kilobytes`, last used `daysAgo` days ago. */
function fakeEnvironment(cacheDir: string, name: string, kilobytes: number, daysAgo: number) {
  const dir = join(specEnvironmentsDir(cacheDir), name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "environment.json"),
    JSON.stringify({ name, repo: "o/r", version: "1", freeze: [] }),
  );
  writeFileSync(join(dir, "payload"), Buffer.alloc(kilobytes * 1024, 1));
  writeFileSync(join(dir, "users.txt"), "o__r-1\n");
  const when = new Date(Date.now() - daysAgo * 86_400_000);
  utimesSync(join(dir, "users.txt"), when, when);
}

describe("pruneSpecEnvironments", () => {
  it("removes the least recently used until the rest fit, and nothing when they already do", () => {
    const cacheDir = join(scratch, "cache");
    fakeEnvironment(cacheDir, "old", 400, 30);
    fakeEnvironment(cacheDir, "middle", 400, 10);
    fakeEnvironment(cacheDir, "new", 400, 1);
    expect(pruneSpecEnvironments(cacheDir, 900 * 1024)).toEqual(["old"]);
    expect(pruneSpecEnvironments(cacheDir, 900 * 1024)).toEqual([]);
    expect(pruneSpecEnvironments(cacheDir, 500 * 1024)).toEqual(["middle"]);
    expect(listSpecEnvironments(cacheDir).map((record) => record.name)).toEqual(["new"]);
  });

  it("reads sizes as people write them", () => {
    expect(parseSize("20G")).toBe(20 * 1024 ** 3);
    expect(parseSize("500M")).toBe(500 * 1024 ** 2);
    expect(parseSize("1.5GiB")).toBe(1.5 * 1024 ** 3);
    expect(parseSize("4096")).toBe(4096);
    expect(parseSize("lots")).toBeUndefined();
  });
});
