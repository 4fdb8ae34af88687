import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Instance } from "../dataset/instance.js";
import { createIsolatedBackend, isolationAvailable } from "../exec/isolated-backend.js";
import { requireSandbox } from "../exec/test-support/require-sandbox.js";
import { createWorkspace, type Workspace } from "../workspace/create-workspace.js";
import { createRepoCache } from "../workspace/repo-cache.js";
import { DEBIAN_RELEASES } from "./debian-environments.js";
import { createEnvironmentChooser } from "./per-instance-environments.js";
import { createSpecEnvironmentResolver } from "./spec-environment-backend.js";
import { listSpecEnvironments, specEnvironmentsDir } from "./spec-environments.js";
import {
  buildCalcFixture,
  type CalcFixture,
  calcInstance,
  expectCalcReproducedAndResolved,
  redThenGold,
} from "./test-support/calc-repository.js";

// This machine's own system stands in for a Debian environment (as in per-instance-environments.test.ts:
// a Debian root takes minutes to build): its /usr/bin/python3 must be a Debian release's Python, with
// its headers and gcc for the compiled part; and uv, whose environments need no ensurepip.
const SYSTEM_PYTHON = "/usr/bin/python3";
const run = (command: string) => execFileSync("bash", ["-c", command], { encoding: "utf8" }).trim();
const systemInfo = existsSync(SYSTEM_PYTHON)
  ? run(
      `${SYSTEM_PYTHON} -c "import os, sys, sysconfig; print('%d.%d.%d' % sys.version_info[:3]); print(os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))" 2>/dev/null || true`,
    ).split("\n")
  : [];
const systemVersion = systemInfo[0] ?? "";
const systemMinor = systemVersion.split(".").slice(0, 2).join(".");
const release = DEBIAN_RELEASES.find((entry) => entry.python === systemMinor)?.release;
const missing = [
  !isolationAvailable() && "bubblewrap with user namespaces (apt-get install bubblewrap)",
  !run("command -v uv || true") && "uv (pip install uv)",
  !systemVersion && `a Python at ${SYSTEM_PYTHON}`,
  systemVersion && !release && `a ${SYSTEM_PYTHON} of a Debian release's Python (it is ${systemMinor})`,
  (systemInfo[1] !== "True" || !run("command -v gcc || true")) && "gcc and the Python headers (python3-dev)",
  run(`${SYSTEM_PYTHON} -c 'import wheel' 2>/dev/null && echo yes || true`) !== "yes" &&
    "the wheel package (python3-wheel)",
].filter((entry): entry is string => Boolean(entry));
const skip = requireSandbox("spec environments under --backend isolated", missing.join(", ") || undefined);

// The host counts as a Python no Debian release has, so the Debian environment is the nearest.
process.env.SWEGATE_HOST_PYTHON = "3.1";
// The `python3` on PATH, with its headers: the host's system sandbox builds from it.
const hostInfo = run(
  `python3 -c "import os, sys, sysconfig; print('%d.%d' % sys.version_info[:2]); print(os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))" 2>/dev/null || true`,
).split("\n");

// Made only when the tests run: a skipped file runs no hook that would remove it.
let scratch = "";
let cacheDir = "";
const environment = `debian-${release}`;
let fixture: CalcFixture;
const workspaces: Workspace[] = [];
const warnings: string[] = [];

beforeAll(async () => {
  if (skip) return;
  scratch = mkdtempSync(join(tmpdir(), "swegate-spec-isolated-"));
  cacheDir = join(scratch, "cache");
  // The index's pip and setuptools from python3's own ensurepip where it has one: Debian's patched
  // setuptools (its python3-setuptools-whl) builds for Debian's Python only.
  fixture = await buildCalcFixture(hostInfo[0] ? "python3" : SYSTEM_PYTHON, scratch);
  const dir = join(cacheDir, "environments", environment);
  mkdirSync(dir, { recursive: true });
  symlinkSync("/", join(dir, "root"));
  writeFileSync(
    join(dir, "environment.json"),
    JSON.stringify({
      name: environment,
      release,
      python_version: `Python ${systemVersion}`,
      packages: [],
      digest: "this-machine",
    }),
  );
}, 120_000);

afterAll(async () => {
  for (const workspace of workspaces) await workspace.dispose();
  fixture?.index.server.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const instanceOf = (id: string, overrides: Parameters<typeof calcInstance>[3] = {}) =>
  calcInstance(fixture, systemMinor, id, overrides);

/** The setup commit's pyproject.toml as the spec environment reads it: one build requirement. */
const PYPROJECT = '[build-system]\nrequires = ["setuptools", "buildhelper"]\n';

async function gates(instance: Instance, environmentsCache = cacheDir) {
  const cache = createRepoCache({ cacheDir: join(scratch, "repos"), repoUrlTemplate: fixture.repo.dir });
  const workspace = await createWorkspace(cache, { repo: instance.repo, baseCommit: instance.base_commit });
  workspaces.push(workspace);
  const backend = createSpecEnvironmentResolver({
    cacheDir: environmentsCache,
    inner: createIsolatedBackend({}),
    chooseSandbox: createEnvironmentChooser({
      cacheDir: environmentsCache,
      // An archive with no release: only the environment already "built" can be had.
      mirror: pathToFileURL(join(scratch, "empty-archive")).href,
      warn: (line) => warnings.push(line),
      progress: () => {},
    }),
    indexUrl: fixture.index.url,
    progress: () => {},
    readAt: () => async (path) => (path === "pyproject.toml" ? PYPROJECT : undefined),
  })(instance);
  const { red, green } = await redThenGold(instance, workspace.dir, backend);
  return { red, green, backend, dir: workspace.dir };
}

describe.skipIf(skip)(
  "spec environments under --backend isolated (a local package index, a compiled part)",
  () => {
    it("builds the environment in the Debian environment's sandbox from its interpreter, and both gates pass through it", async () => {
      const { red, green, backend, dir } = await gates(instanceOf("calc-1"));
      expectCalcReproducedAndResolved({ red, green });
      const [listed] = listSpecEnvironments(cacheDir);
      expect(listed?.name).toContain(`-py${systemMinor}-isolated-${environment}-`);
      expect(listed).toMatchObject({
        sandbox: environment,
        base_interpreter: SYSTEM_PYTHON,
        build_requirements: ["setuptools", "buildhelper"],
        repository_dependencies: "preinstalled",
        // Told to setuptools-scm in each run: the checkout's git history is not in the sandbox.
        repository_version: "1.0",
        users: ["calc-1"],
      });
      expect(listed?.freeze).toEqual(
        expect.arrayContaining(["buildhelper==1.0", "pinned==2.0", "tinydep==1.0"]),
      );
      // The repository went into the checkout's layer, never into the shared environment.
      expect(readdirSync(listed?.site_packages ?? "").some((name) => /calc|easy-install/.test(name))).toBe(
        false,
      );
      const described = await backend.describe({ cwd: dir });
      expect(described).toMatchObject({ backend: "isolated", pythonVersion: `Python ${systemVersion}` });
      expect(described.details?.spec_environment).toBe(listed?.name);
      expect(warnings).toEqual([]);
    }, 300_000);

    it("shows a run the shared environment read-only and its own layer only, with no network", async () => {
      const { red, backend, dir } = await gates(instanceOf("calc-2"));
      expect(red.verdict).toBe("reproduced");
      const [listed] = listSpecEnvironments(cacheDir);
      const environmentDir = join(specEnvironmentsDir(cacheDir), listed?.name ?? "");
      expect(readdirSync(join(environmentDir, "layers"))).toHaveLength(2);
      const probe = await backend.run(
        [
          `touch ${join(environmentDir, "venv", "written")} 2>/dev/null && echo shared-writable || echo shared-read-only`,
          `echo "layers: $(ls ${join(environmentDir, "layers")} | wc -l)"`,
          `python -c "import urllib.request; urllib.request.urlopen('${fixture.index.url}', timeout=3)" 2>/dev/null && echo index-reached || echo index-unreachable`,
        ].join("\n"),
        { cwd: dir, timeoutSeconds: 120 },
      );
      expect(probe.output).toContain("shared-read-only");
      expect(probe.output).toContain("layers: 1");
      expect(probe.output).toContain("index-unreachable");
    }, 300_000);

    it("puts a dependency the base commit declares and the shared environment lacks into the checkout's layer before the offline run", async () => {
      const { red, dir, backend } = await gates(
        instanceOf("calc-new-dependency", { base_commit: fixture.newDependencyCommit }),
      );
      // The checkout built and its tests ran (its history holds the fix: they all pass).
      expect(red.verdict).not.toBe("env_broken");
      expect(red.tests).toMatchObject({ "tests/test_calc.py::test_double": "PASSED" });
      const [listed] = listSpecEnvironments(cacheDir);
      // Into the layer, never the shared environment.
      expect(listed?.freeze.some((line) => line.startsWith("otherdep"))).toBe(false);
      const where = await backend.run(
        [
          `python -c "import otherdep, sys; print('otherdep-in:' + otherdep.__file__)"`,
          `python -c "import urllib.request; urllib.request.urlopen('${fixture.index.url}', timeout=3)" 2>/dev/null && echo index-reached || echo index-unreachable`,
        ].join("\n"),
        { cwd: dir, timeoutSeconds: 120 },
      );
      expect(where.output).toMatch(/otherdep-in:.*\/layers\/[0-9a-f]{16}\//);
      // The test run itself still has no network.
      expect(where.output).toContain("index-unreachable");
    }, 300_000);

    it("leaves a declared dependency no index has missing: the offline install names it, build_failed", async () => {
      const { red } = await gates(
        instanceOf("calc-missing-dependency", { base_commit: fixture.missingDependencyCommit }),
      );
      expect(red.verdict).toBe("env_broken");
      expect(red.reason).toBe("build_failed");
      expect(red.evidence.join("\n")).toMatch(/nosuchdep/);
    }, 300_000);

    it("undoes the spec's pre_install file edits from the host after the run (the sandbox has no git)", async () => {
      const edit = "sed -i '1i # edited by pre_install' run_tests.py";
      const { red, dir } = await gates(instanceOf("calc-pre-install", { extra: { pre_install: [edit] } }));
      expect(red.verdict).toBe("reproduced");
      expect(readFileSync(join(dir, "run_tests.py"), "utf8")).not.toContain("edited by pre_install");
      // The test patch the gate applied before the run is still there.
      expect(existsSync(join(dir, "tests", "test_calc.py"))).toBe(true);
    }, 300_000);

    it("names a compile error at base as env_broken (build_failed) with the compiler's line", async () => {
      const { red } = await gates(instanceOf("calc-broken", { base_commit: fixture.brokenCommit }));
      expect(red.verdict).toBe("env_broken");
      expect(red.reason).toBe("build_failed");
      expect(red.evidence.join("\n")).toMatch(/error/i);
    }, 300_000);

    it.skipIf(hostInfo[1] !== "True")(
      "builds in the host's system sandbox, from the host's python3, when that is the nearest Python",
      async () => {
        const hostCache = join(scratch, "cache-host");
        process.env.SWEGATE_HOST_PYTHON = hostInfo[0];
        try {
          const instance = calcInstance(fixture, hostInfo[0] ?? "", "calc-host");
          const { red, green } = await gates(instance, hostCache);
          expect(red.verdict).toBe("reproduced");
          expect(green?.resolved).toBe(true);
        } finally {
          process.env.SWEGATE_HOST_PYTHON = "3.1";
        }
        const [listed] = listSpecEnvironments(hostCache);
        expect(listed?.name).toContain(`-isolated-host-`);
        expect(listed?.sandbox).toBe("host");
      },
      300_000,
    );

    it("names a spec Python no environment is near as env_broken (interpreter_unavailable)", async () => {
      const { red } = await gates(instanceOf("calc-old", { extra: { python: "2.7" } }));
      expect(red.verdict).toBe("env_broken");
      expect(red.reason).toBe("interpreter_unavailable");
      expect(red.evidence[0]).toContain(
        "no environment under --backend isolated has a Python within 1 minor version of 2.7",
      );
    }, 300_000);
  },
);
