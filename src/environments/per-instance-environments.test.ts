import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/test-support/run-cli.js";
import { isolationAvailable } from "../exec/isolated-backend.js";
import { requireSandbox } from "../exec/test-support/require-sandbox.js";
import { candidatesFor } from "./per-instance-environments.js";
import { pydicomDataset } from "./test-support/pydicom-dataset.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-per-instance-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe("the environment nearest the spec's Python", () => {
  it("orders the host and the Debian releases by distance from the wanted Python, newer first on ties", () => {
    const order = (wanted: string, host: string) =>
      candidatesFor(wanted, host).map((candidate) => candidate.release ?? "host");
    expect(order("3.6", "3.11")).toEqual(["buster", "bullseye", "host"]);
    expect(order("3.9", "3.11")).toEqual(["bullseye", "host", "buster"]);
    expect(order("3.10", "3.11")).toEqual(["host", "bullseye", "buster"]);
    expect(order("3.11", "3.11")).toEqual(["host", "bullseye", "buster"]);
    // A host on 3.12 keeps bookworm (3.11) as a candidate of its own.
    expect(order("3.11", "3.12")).toEqual(["bookworm", "host", "bullseye", "buster"]);
  });

  it("takes the older of two equally near for spec environments, whose pins predate the newer", () => {
    const order = (wanted: string, host: string) =>
      candidatesFor(wanted, host, true).map((candidate) => candidate.release ?? "host");
    expect(order("3.10", "3.11")).toEqual(["bullseye", "host", "buster"]);
    expect(order("3.8", "3.11")).toEqual(["buster", "bullseye", "host"]);
    expect(order("3.9", "3.11")).toEqual(["bullseye", "buster", "host"]);
  });
});

/** A Debian archive on disk holding only the releases named (their Release files, nothing else). */
function archive(name: string, releases: string[]): string {
  const dir = join(scratch, name);
  for (const release of releases) {
    mkdirSync(join(dir, "dists", release), { recursive: true });
    writeFileSync(join(dir, "dists", release, "Release"), `Suite: ${release}\n`);
  }
  mkdirSync(dir, { recursive: true });
  return pathToFileURL(dir).href;
}

const skip = requireSandbox(
  "per-instance environments",
  isolationAvailable() ? undefined : "bubblewrap cannot create namespaces here (apt-get install bubblewrap)",
);

describe.skipIf(skip)("validate --backend isolated, environments chosen per instance", () => {
  const rows = (stdout: string) =>
    Object.fromEntries(
      stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line))
        .map((row) => [row.instance_id, row]),
    );
  // The host counts as Python 3.11 whatever this machine has, so the choices are the same everywhere.
  const env = { SWEGATE_HOST_PYTHON: "3.11" };

  it("skips a release the archive lacks with one warning and uses the next nearest environment", () => {
    const { file, repoUrl } = pydicomDataset(scratch);
    const cache = join(scratch, "cache-fallback");
    // An environment already built for bullseye: this machine's own system standing in for it.
    const bullseye = join(cache, "environments", "debian-bullseye");
    mkdirSync(bullseye, { recursive: true });
    symlinkSync("/", join(bullseye, "root"));
    writeFileSync(
      join(bullseye, "environment.json"),
      JSON.stringify({ name: "debian-bullseye", release: "bullseye", python_version: "", packages: [] }),
    );
    const result = runCli(
      [
        ...["validate", file, "--json", "--backend", "isolated", "--workers", "2"],
        ...["--debian-mirror", archive("archive-without-buster", ["bullseye"])],
        ...["--repo-url", repoUrl, "--cache-dir", cache, "--store", join(scratch, "store-fallback")],
      ],
      { env },
    );
    expect(result.code, result.stderr).toBe(0);
    const warnings = result.stderr.split("\n").filter((line) => line.includes("warning"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/Debian buster \(Python 3\.7\) is not in .*archive-without-buster/);
    const byId = rows(result.stdout);
    for (const id of ["pydicom__pydicom-10", "pydicom__pydicom-11"])
      expect(byId[id]).toMatchObject({
        healthy: true,
        environment: { backend: "isolated", name: "debian-bullseye", spec_python: "3.6" },
      });
    expect(byId["pydicom__pydicom-21"]).toMatchObject({
      healthy: true,
      environment: { name: "debian-bullseye", spec_python: "3.9" },
    });
    expect(byId["pydicom__pydicom-30"]).toMatchObject({
      healthy: true,
      environment: { name: "host system (read-only)", spec_python: "3.11" },
    });
    expect(byId["pydicom__pydicom-30"].environment.python_version).toMatch(/^Python 3\./);
  });

  it("records the instances of an environment that cannot be built as env_broken, and the others finish", () => {
    const { file, repoUrl } = pydicomDataset(scratch);
    const store = join(scratch, "store-broken");
    // The archive names bullseye but holds nothing debootstrap can use: the build fails.
    const args = [
      ...["validate", file, "--backend", "isolated", "--workers", "2"],
      ...["--debian-mirror", archive("archive-broken-bullseye", ["bullseye"])],
      ...["--repo-url", repoUrl, "--cache-dir", join(scratch, "cache-broken"), "--store", store],
    ];
    const result = runCli([...args, "--json"], { env });
    expect(result.code, result.stderr).toBe(1);
    const byId = rows(result.stdout);
    for (const id of ["pydicom__pydicom-10", "pydicom__pydicom-11", "pydicom__pydicom-21"]) {
      expect(byId[id]).toMatchObject({
        healthy: false,
        red: { verdict: "env_broken", reason: "environment_unavailable" },
      });
      // debootstrap's own reason (or that it is missing), not a guess.
      expect(byId[id].red.evidence[0]).toMatch(
        /environment unavailable: debian-bullseye: cannot build the bullseye environment from file:.*: \S/,
      );
    }
    expect(byId["pydicom__pydicom-30"]).toMatchObject({ healthy: true, red: { verdict: "reproduced" } });
    // The table says so, and which environment each verdict is for.
    const human = runCli([...args, "--instances", "pydicom__pydicom-21,pydicom__pydicom-30"], { env });
    expect(human.code, human.stderr).toBe(1);
    expect(human.stdout).toContain("1/2 healthy");
    expect(human.stdout).toMatch(/1\s+env_broken \(environment_unavailable\)/);
    expect(human.stdout).toMatch(/1\s+isolated debian-bullseye, unavailable \(spec 3\.9\): 0 healthy/);
    expect(human.stdout).toMatch(/1\s+isolated host system, Python 3\.\d+\.\d+ \(spec 3\.11\): 1 healthy/);
    expect(human.stdout).toContain("environment debian-bullseye could not be had");
  });
});
