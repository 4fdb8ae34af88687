import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  createEnvironment,
  defaultDebianMirror,
  defaultEnvironmentName,
  listEnvironments,
  readEnvironment,
  releaseForPython,
  removeEnvironment,
} from "./debian-environments.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-environments-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe("Debian environments", () => {
  it("picks the release whose Python is closest to the spec's", () => {
    expect(releaseForPython("3.9").release).toBe("bullseye");
    expect(releaseForPython("3.8").release).toBe("bullseye");
    expect(releaseForPython("3.6").release).toBe("buster");
    expect(releaseForPython("3.11").release).toBe("bookworm");
    expect(releaseForPython("3.12").release).toBe("bookworm");
    expect(defaultEnvironmentName("3.9")).toBe("debian-bullseye");
  });

  it("lists only complete environments (a half-built one is never used) and removes them", () => {
    const complete = join(scratch, "environments", "debian-bullseye");
    mkdirSync(join(complete, "root"), { recursive: true });
    writeFileSync(
      join(complete, "environment.json"),
      JSON.stringify({
        name: "debian-bullseye",
        release: "bullseye",
        python_version: "Python 3.9.2",
        packages: ["python3=3.9.2-3"],
        digest: "ab",
        created_at: "",
      }),
    );
    mkdirSync(join(scratch, "environments", "half", "root.partial"), { recursive: true });
    expect(listEnvironments(scratch).map((record) => record.name)).toEqual(["debian-bullseye"]);
    expect(readEnvironment(scratch, "half")).toBeUndefined();
    removeEnvironment(scratch, "debian-bullseye");
    expect(listEnvironments(scratch)).toEqual([]);
    expect(() => removeEnvironment(scratch, "debian-bullseye")).toThrow(/no environment/);
  });

  it("builds from the archive this machine's apt uses (one-line and deb822 sources)", () => {
    const apt = join(scratch, "apt");
    mkdirSync(join(apt, "sources.list.d"), { recursive: true });
    expect(defaultDebianMirror(apt)).toBe("http://deb.debian.org/debian");
    writeFileSync(
      join(apt, "sources.list.d", "debian.sources"),
      "Types: deb\nURIs: http://mirror.example/debian-security\n\nTypes: deb\nURIs: http://mirror.example/debian/\nSuites: bookworm\n",
    );
    expect(defaultDebianMirror(apt)).toBe("http://mirror.example/debian");
    writeFileSync(
      join(apt, "sources.list"),
      "# local\ndeb [arch=amd64] http://local.example/debian bookworm main\n",
    );
    expect(defaultDebianMirror(apt)).toBe("http://local.example/debian");
  });

  it("refuses a release the archive lacks, and shows debootstrap's own reason when a build fails", async () => {
    const archive = join(scratch, "archive");
    mkdirSync(join(archive, "dists", "bullseye"), { recursive: true });
    writeFileSync(join(archive, "dists", "bullseye", "Release"), "Suite: bullseye\n");
    const create = (release: string) =>
      createEnvironment({
        cacheDir: scratch,
        name: `try-${release}`,
        python: "3.7",
        release,
        mirror: archive,
      });
    await expect(create("buster")).rejects.toThrow(
      `Debian buster is not in ${archive} (no dists/buster/Release)`,
    );
    // A Release file with nothing behind it: debootstrap stops (or is absent, or needs root) and says why.
    await expect(create("bullseye")).rejects.toThrow(
      new RegExp(
        `cannot build the bullseye environment from ${archive}: (.+\\(debootstrap exited \\d+\\)|debootstrap is not installed)`,
      ),
    );
    expect(readEnvironment(scratch, "try-bullseye")).toBeUndefined();
  });
});
