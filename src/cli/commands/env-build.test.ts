import { mkdtempSync, readdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveSimpleIndex } from "../../environments/test-support/local-package-index.js";
import { isolationAvailable } from "../../exec/isolated-backend.js";
import { runCli, runCliAsync } from "../test-support/run-cli.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-env-build-"));
let index: { url: string; server: Server };

beforeAll(async () => {
  // An index with nothing in it: whatever the spec asks for cannot be installed.
  index = await serveSimpleIndex(mkdtempSync(join(scratch, "empty-")));
});
afterAll(async () => {
  index.server.close();
  await rm(scratch, { recursive: true, force: true });
});

describe("swegate env build", () => {
  it("refuses a target that is not REPO@VERSION in one line", () => {
    const result = runCli(["env", "build", "flask", "--cache-dir", join(scratch, "cache")]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(
      'swegate: env build: "flask" is not REPO@VERSION (e.g. swegate env build pallets/flask@2.3 lite.jsonl)',
    );
  });

  it("asks for a dataset when the spec reads the repository's requirements file", () => {
    const result = runCli(["env", "build", "pallets/flask@2.3", "--cache-dir", join(scratch, "cache")]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("give a dataset holding one of its instances");
  });

  it("names what the index could not install (exit 3), and leaves no environment behind", async () => {
    // pydicom 3.0's spec (Python 3.11) installs `numpy` (an explicit list): no repository file needed.
    const cacheDir = join(scratch, "cache");
    // Not spawnSync: the index is served by this process.
    const result = await runCliAsync(
      ["env", "build", "pydicom/pydicom@3.0", "--index-url", index.url, "--cache-dir", cacheDir],
      {
        env: { SWEGATE_SPEC_PYTHONS: "python3" },
      },
    );
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toMatch(/env build pydicom\/pydicom@3\.0: dependency_install_failed: /);
    const listed = runCli(["env", "list", "--json", "--cache-dir", cacheDir]);
    expect(JSON.parse(listed.stdout)).toEqual([]);
    expect(readdirSync(join(cacheDir, "spec-environments"))).toHaveLength(1); // the failed build's log stays
  }, 120_000);

  it.skipIf(!isolationAvailable())(
    "with --backend isolated builds in the sandbox of the environment nearest the spec's Python (here the host's system), named so",
    async () => {
      const cacheDir = join(scratch, "cache-isolated");
      const result = await runCliAsync(
        [
          ...["env", "build", "pydicom/pydicom@3.0", "--backend", "isolated"],
          ...["--index-url", index.url, "--cache-dir", cacheDir],
        ],
        // The host counts as the spec's Python 3.11, so no Debian environment is built.
        { env: { SWEGATE_HOST_PYTHON: "3.11" } },
      );
      expect(result.code, result.stderr).toBe(3);
      expect(result.stderr).toMatch(
        /pydicom__pydicom-3\.0-py3\.\d+-isolated-host-[0-9a-f]{12}: .* in the host sandbox/,
      );
      expect(result.stderr).toMatch(/env build pydicom\/pydicom@3\.0: dependency_install_failed: /);
    },
    120_000,
  );

  it("refuses a prune size it cannot read in one line", () => {
    const result = runCli(["env", "prune", "--max-size", "lots", "--cache-dir", join(scratch, "cache")]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(
      "swegate: --max-size=lots: is not a size (e.g. 20G, 500M or a number of bytes)",
    );
  });

  it("refuses --spec-env with --backend docker, and with --env (the spec chooses the environment), in one line", () => {
    const store = ["--store", join(scratch, "store")];
    const docker = runCli(["validate", "--spec-env", "--backend", "docker", ...store]);
    expect(docker.code).toBe(2);
    expect(docker.stderr).toContain(
      "--spec-env with --backend=docker: spec environments run on the host or isolated backend",
    );
    const named = runCli([
      "validate",
      "--spec-env",
      "--backend",
      "isolated",
      "--env",
      "debian-bullseye",
      ...store,
    ]);
    expect(named.code).toBe(2);
    expect(named.stderr).toContain("--env=debian-bullseye: --spec-env chooses the environment from the spec");
  });
});
