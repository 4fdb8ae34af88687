// Spec environments (--spec-env): a cold build against a warm one (the cache hit), and what the
// per-checkout layer and the install before each run cost against a plain host run, side by side
// in one run, from a local package index (no network); the same under --backend isolated (built and
// run in the host's system sandbox) where bubblewrap can be had; run alone with
// `npx tsx bench/spec-environment-bench.ts`.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Instance } from "../src/dataset/instance.js";
import { createSpecEnvironmentResolver } from "../src/environments/spec-environment-backend.js";
import { buildSpecEnvironment, findUv } from "../src/environments/spec-environments.js";
import {
  buildWheel,
  copyBundledWheels,
  copyWheelPackage,
  serveSimpleIndex,
} from "../src/environments/test-support/local-package-index.js";
import type { Backend } from "../src/exec/backend.js";
import { createHostBackend } from "../src/exec/host-backend.js";
import { createIsolatedBackend, isolationAvailable } from "../src/exec/isolated-backend.js";
import { makeGitRepo } from "../src/workspace/test-support/make-git-repo.js";

const ROUNDS = 5;
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

export async function benchSpecEnvironment(): Promise<string[]> {
  const python = execFileSync("python3", ["-c", "import sys; print(sys.executable)"], {
    encoding: "utf8",
  }).trim();
  const version = execFileSync(python, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"], {
    encoding: "utf8",
  }).trim();
  const dir = mkdtempSync(join(tmpdir(), "swegate-bench-spec-env-"));
  const index = await (async () => {
    const wheels = join(dir, "wheels");
    for (let number = 0; number < 20; number++)
      buildWheel(python, wheels, {
        name: `benchdep${number}`,
        version: "1.0",
        files: { [`benchdep${number}/__init__.py`]: "VALUE = 1\n" },
      });
    if (!copyWheelPackage(wheels))
      buildWheel(python, wheels, { name: "wheel", version: "0.0.1", files: { "wheel/__init__.py": "" } });
    copyBundledWheels(python, wheels);
    return serveSimpleIndex(wheels);
  })();
  process.env.SWEGATE_SPEC_PYTHONS = python;
  try {
    const instance = {
      instance_id: "bench-1",
      repo: "swegate-bench/tiny",
      version: "1.0",
      base_commit: "",
      environment_setup_commit: "",
      extra: {
        python: version,
        packages: Array.from({ length: 20 }, (_, number) => `benchdep${number}`).join(" "),
        install: "python -m pip install --no-build-isolation --no-use-pep517 -e .",
      },
    } as unknown as Instance;
    const cacheDir = join(dir, "cache");
    const build = async () => {
      const started = performance.now();
      const result = await buildSpecEnvironment({
        cacheDir,
        instance,
        read: async () => undefined,
        indexUrl: index.url,
      });
      if (!result.ok) throw new Error(`bench build failed: ${result.evidence.join(" | ")}`);
      return performance.now() - started;
    };
    const cold = await build();
    const warm = median(await Promise.all(Array.from({ length: ROUNDS }, build)));

    const files = {
      "setup.py": 'from setuptools import setup\nsetup(name="tiny", version="1.0", packages=["tiny"])\n',
      "tiny/__init__.py": "",
    };
    const host = createHostBackend({ python });
    const spec = createSpecEnvironmentResolver({
      cacheDir,
      inner: createHostBackend({}),
      indexUrl: index.url,
      progress: () => {},
      readAt: () => async () => undefined,
    })(instance);
    const [hostMs, firstMs, specMs] = await runTimes(dir, files, host, spec);
    const lines = [
      `spec environment (${findUv() ? "uv" : "python -m venv + pip"}, Python ${version}, 20 packages from a local index): cold build ${(cold / 1000).toFixed(1)} s, warm (cached) ${warm.toFixed(0)} ms — ${(cold / warm).toFixed(0)}× faster warm`,
      `per test run: host ${hostMs.toFixed(0)} ms; in a spec environment ${specMs.toFixed(0)} ms (${(specMs / hostMs).toFixed(1)}×: the install before each run), the checkout's first run ${firstMs.toFixed(0)} ms (${(firstMs / hostMs).toFixed(1)}×: its layer made too); medians of ${ROUNDS}`,
    ];
    if (!isolationAvailable())
      return [...lines, "under --backend isolated: skipped (bubblewrap cannot run here)"];
    // Under --backend isolated, the host's system sandbox (a Debian environment takes minutes to build).
    const sandboxed = createSpecEnvironmentResolver({
      cacheDir: join(dir, "cache-isolated"),
      inner: createIsolatedBackend({}),
      chooseSandbox: async () => ({ ok: true, name: "host", python: version }),
      indexUrl: index.url,
      progress: () => {},
      readAt: () => async () => undefined,
    })(instance);
    const isolated = createIsolatedBackend({ python });
    const started = performance.now();
    await sandboxed.describe({ cwd: dir });
    const sandboxedCold = performance.now() - started;
    const [plainMs, sandboxedFirstMs, sandboxedMs] = await runTimes(dir, files, isolated, sandboxed);
    return [
      ...lines,
      `under --backend isolated: cold build in the sandbox ${(sandboxedCold / 1000).toFixed(1)} s; per test run: isolated ${plainMs.toFixed(0)} ms, in a spec environment ${sandboxedMs.toFixed(0)} ms (${(sandboxedMs / plainMs).toFixed(1)}×: the offline install before each run), the checkout's first run ${sandboxedFirstMs.toFixed(0)} ms (${(sandboxedFirstMs / plainMs).toFixed(1)}×: its layer made in the sandbox too); medians of ${ROUNDS}`,
    ];
  } finally {
    delete process.env.SWEGATE_SPEC_PYTHONS;
    index.server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Medians of a plain run, a checkout's first run in the spec environment (its layer made) and a later
 * one, each round in a new checkout.
 */
async function runTimes(
  dir: string,
  files: Record<string, string>,
  plain: Backend,
  spec: Backend,
): Promise<[number, number, number]> {
  const timed = async (run: () => Promise<unknown>) => {
    const started = performance.now();
    await run();
    return performance.now() - started;
  };
  const plainTimes: number[] = [];
  const specTimes: number[] = [];
  const firstTimes: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const checkout = makeGitRepo(files, mkdtempSync(join(dir, "checkout-"))).dir;
    plainTimes.push(await timed(() => plain.run("python -c pass", { cwd: checkout, timeoutSeconds: 60 })));
    firstTimes.push(await timed(() => spec.run("python -c pass", { cwd: checkout, timeoutSeconds: 60 })));
    specTimes.push(await timed(() => spec.run("python -c pass", { cwd: checkout, timeoutSeconds: 60 })));
  }
  return [median(plainTimes), median(firstTimes), median(specTimes)];
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  for (const line of await benchSpecEnvironment()) console.log(line);
