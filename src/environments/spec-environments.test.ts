import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Instance } from "../dataset/instance.js";
import { createHostBackend } from "../exec/host-backend.js";
import { createWorkspace, type Workspace } from "../workspace/create-workspace.js";
import { createRepoCache } from "../workspace/repo-cache.js";
import { createSpecEnvironmentResolver } from "./spec-environment-backend.js";
import { listSpecEnvironments, specEnvironmentsDir } from "./spec-environments.js";
import {
  buildCalcFixture,
  type CalcFixture,
  calcInstance,
  expectCalcReproducedAndResolved,
  redThenGold,
} from "./test-support/calc-repository.js";

// What the test needs: uv (PyPI's `uv`), a Python 3 with its headers and gcc for the compiled part.
const python = execFileSync("bash", ["-c", "command -v python3 || true"], { encoding: "utf8" }).trim();
const uv = execFileSync("bash", ["-c", "command -v uv || true"], { encoding: "utf8" }).trim();
const pythonInfo = python
  ? execFileSync(
      python,
      [
        "-c",
        "import sys, sysconfig; print('%d.%d' % sys.version_info[:2]); print(sysconfig.get_paths()['include'])",
      ],
      {
        encoding: "utf8",
      },
    )
      .trim()
      .split("\n")
  : [];
const pythonVersion = pythonInfo[0] ?? "";
const compiles =
  existsSync(join(pythonInfo[1] ?? "/nonexistent", "Python.h")) &&
  execFileSync("bash", ["-c", "command -v gcc || true"], { encoding: "utf8" }).trim() !== "";
const hasWheel = ["python3", "/usr/bin/python3"].some(
  (candidate) => spawnSync(candidate, ["-c", "import wheel"], { stdio: "ignore" }).status === 0,
);
const missing = [
  !python && "python3",
  !uv && "uv (pip install uv)",
  !compiles && "gcc and the Python headers (python3-dev)",
  !hasWheel && "the wheel package (python3-wheel)",
].filter(Boolean);
// Environments are built from this python3 only, the one whose headers were checked.
if (python) process.env.SWEGATE_SPEC_PYTHONS = python;
const required = process.env.SWEGATE_REQUIRE_SANDBOXES === "1";
if (missing.length > 0 && required)
  throw new Error(`spec environment tests need ${missing.join(", ")} (SWEGATE_REQUIRE_SANDBOXES=1)`);
if (missing.length > 0) console.warn(`skipping spec environment tests: they need ${missing.join(", ")}`);

const scratch = mkdtempSync(join(tmpdir(), "swegate-spec-env-"));
const cacheDir = join(scratch, "cache");
let fixture: CalcFixture;
const workspaces: Workspace[] = [];

beforeAll(async () => {
  if (missing.length > 0) return;
  fixture = await buildCalcFixture(python, scratch);
}, 120_000);

afterAll(async () => {
  for (const workspace of workspaces) await workspace.dispose();
  fixture?.index.server.close();
  await rm(scratch, { recursive: true, force: true });
});

const instanceOf = (id: string, overrides: Parameters<typeof calcInstance>[3] = {}) =>
  calcInstance(fixture, pythonVersion, id, overrides);

async function gates(instance: Instance, environmentsCache = cacheDir) {
  const cache = createRepoCache({ cacheDir: join(scratch, "repos"), repoUrlTemplate: fixture.repo.dir });
  const workspace = await createWorkspace(cache, { repo: instance.repo, baseCommit: instance.base_commit });
  workspaces.push(workspace);
  const backend = createSpecEnvironmentResolver({
    cacheDir: environmentsCache,
    inner: createHostBackend({}),
    indexUrl: fixture.index.url,
    progress: () => {},
    readAt: () => async () => undefined,
  })(instance);
  const { red, green } = await redThenGold(instance, workspace.dir, backend);
  return { red, green, backend, dir: workspace.dir };
}

describe.skipIf(missing.length > 0)(
  "spec environments from a local package index (uv, a compiled extension)",
  () => {
    it("builds the spec's environment, installs the repository per checkout, and both gates pass through it", async () => {
      const { red, green, backend, dir } = await gates(instanceOf("calc-1"));
      expectCalcReproducedAndResolved({ red, green });
      const described = await backend.describe({ cwd: dir });
      expect(described.details?.packages).toContain("pinned==2.0");
      expect(described.details?.packages).toContain("tinydep==1.0");
      expect(described.imageDigest).toMatch(/^[0-9a-f]{64}$/);
      const where = await backend.run("tinydep-where", { cwd: dir, timeoutSeconds: 120 });
      expect(where.output.trim().split("\n").at(-1)).toMatch(/\/layers\/[0-9a-f]{16}$/);
      const [listed] = listSpecEnvironments(cacheDir);
      expect(listed?.users).toEqual(["calc-1"]);
      expect(listed?.tool).toBe("uv");
      expect(listed?.repository_dependencies).toBe("preinstalled");
      expect(listed?.size_bytes).toBeGreaterThan(0);
      // The repository went into the checkout's layer, never into the shared environment.
      expect(readdirSync(listed?.site_packages ?? "").some((name) => /calc|easy-install/.test(name))).toBe(
        false,
      );
    }, 300_000);

    it("keeps each checkout's install to itself: a second instance reuses the environment with a layer of its own", async () => {
      const before = listSpecEnvironments(cacheDir).map((record) => record.created_at);
      const { red } = await gates(instanceOf("calc-2"));
      expect(red.verdict).toBe("reproduced");
      const after = listSpecEnvironments(cacheDir);
      expect(after.map((record) => record.created_at)).toEqual(before);
      expect(after[0]?.users).toEqual(["calc-1", "calc-2"]);
      const layers = readdirSync(join(specEnvironmentsDir(cacheDir), after[0]?.name ?? "", "layers"));
      expect(layers.length).toBe(2);
    }, 300_000);

    it("names a compile error at base as env_broken (build_failed) with the compiler's line, and keeps the build log", async () => {
      const { red } = await gates(instanceOf("calc-broken", { base_commit: fixture.brokenCommit }));
      expect(red.verdict).toBe("env_broken");
      expect(red.reason).toBe("build_failed");
      expect(red.evidence.join("\n")).toMatch(/error/i);
      expect(red.evidence.at(-1)).toMatch(
        /\(build_failed\): the install command exited \d+: python -m pip install --no-build-isolation --no-use-pep517 -e \.$/,
      );
      expect(red.log).toContain("swegate: spec environment");
    }, 300_000);

    it("names a pinned package the index lacks as env_broken (dependency_install_failed)", async () => {
      const { red } = await gates(instanceOf("calc-pin", { extra: { pip_packages: ["pinned==9.9"] } }));
      expect(red.verdict).toBe("env_broken");
      expect(red.reason).toBe("dependency_install_failed");
      expect(red.evidence.join("\n")).toContain("pinned");
    }, 300_000);

    it("builds with python -m venv and pip where uv is absent, to the same verdicts", async () => {
      const pipCache = join(scratch, "pip-cache");
      process.env.SWEGATE_NO_UV = "1";
      try {
        const { red, green } = await gates(instanceOf("calc-pip"), pipCache);
        expect(red.verdict).toBe("reproduced");
        expect(green?.resolved).toBe(true);
      } finally {
        delete process.env.SWEGATE_NO_UV;
      }
      const [listed] = listSpecEnvironments(pipCache);
      expect(listed?.tool).toBe("pip");
      expect(listed?.repository_dependencies).toBe("preinstalled");
      expect(readdirSync(listed?.site_packages ?? "").some((name) => /^calc/.test(name))).toBe(false);
      expect(listed?.freeze).toContain("tinydep==1.0");
    }, 300_000);

    it("names a spec Python no interpreter here is near as env_broken (interpreter_unavailable)", async () => {
      const { red } = await gates(instanceOf("calc-old", { extra: { python: "2.7" } }));
      expect(red.verdict).toBe("env_broken");
      expect(red.reason).toBe("interpreter_unavailable");
      expect(red.evidence[0]).toContain("no Python within 1 minor version of 2.7");
    }, 300_000);
  },
);
