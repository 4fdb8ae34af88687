import { cpus } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { buildDemoRepositories } from "../dataset/demo/build-demo-repositories.js";
import type { Instance } from "../dataset/instance.js";
import type { Dataset } from "../dataset/load-dataset.js";
import {
  createEnvironment,
  defaultEnvironmentName,
  readEnvironment,
  releaseForPython,
} from "../environments/debian-environments.js";
import { UserError } from "../errors.js";
import type { Backend } from "../exec/backend.js";
import { createLazyBackend } from "../exec/create-lazy-backend.js";
import { createDockerBackendResolver } from "../exec/docker-backend.js";
import { createHostBackend } from "../exec/host-backend.js";
import { createIsolatedBackend } from "../exec/isolated-backend.js";
import { findPytestConfigAbove } from "../exec/pytest-config-above.js";
import { loadPythonConfig, resolvePython } from "../exec/python-config.js";
import { specFor } from "../specs/spec-for.js";
import {
  createRepoCache,
  DEFAULT_REPO_URL_TEMPLATE,
  defaultCacheDir,
  type RepoCache,
} from "../workspace/repo-cache.js";

/** Where results live unless --store says otherwise: `.swegate` under the working folder. */
export const DEFAULT_STORE = ".swegate";

/** Flags for where and how tests run, shared by validate, run, eval. */
export interface BackendOptions {
  /** With --backend isolated: a Debian environment by name (else chosen per instance from the spec's Python). */
  env?: string;
  backend: string;
  python?: string;
  pythonConfig?: string;
  timeout: string;
  cacheDir: string;
  workspaceDir?: string;
  repoUrl?: string;
  store: string;
  workers: string;
}

export function addBackendOptions(command: Command): Command {
  return command
    .option(
      "--backend <name>",
      "where tests run: host (a subprocess), isolated (bubblewrap: no network, only the workspace writable) or docker (the official SWE-bench image per instance; DOCKER_HOST or Podman's socket)",
      "host",
    )
    .option("--python <path>", "interpreter (or venv folder) for every instance")
    .option(
      "--env <name>",
      "with --backend isolated: run in this Debian environment (default: one per the spec's Python, built on first need)",
    )
    .option(
      "--python-config <file>",
      "JSON/YAML mapping repo@version → interpreter (with --backend isolated, env:NAME for an environment)",
    )
    .option("--timeout <seconds>", "seconds per test run before the process group is killed", "1800")
    .option("--cache-dir <dir>", "repository mirrors and workspaces", defaultCacheDir())
    .option(
      "--workspace-dir <dir>",
      "where checkouts are made (default <cache-dir>/workspaces); a tmpfs such as /dev/shm is much faster on slow disks",
    )
    .option(
      "--repo-url <template>",
      `where mirrors are cloned from ({repo}, {owner}, {name}; default ${DEFAULT_REPO_URL_TEMPLATE})`,
    )
    .option("--store <dir>", "results database and artefacts", DEFAULT_STORE)
    .option("--workers <n>", "instances in parallel", String(Math.max(1, Math.min(4, cpus().length))));
}

/** Parses a positive whole number flag, or fails naming it. */
export function positiveInteger(value: string, flag: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1)
    throw new UserError("must be a whole number of at least 1", { where: `${flag}=${value}` });
  return number;
}

/** A flag's value as a whole number ≥ 0 (e.g. retries), or a one-line error naming the flag. */
export function nonNegativeInteger(value: string, flag: string): number {
  const number = Number(value);
  if (value.trim() === "" || !Number.isInteger(number) || number < 0)
    throw new UserError("must be a whole number of at least 0", { where: `${flag}=${value}` });
  return number;
}

/** A flag's value as a number ≥ 0 (e.g. dollars), or a one-line error naming the flag. */
export function nonNegativeNumber(value: string, flag: string): number {
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number) || number < 0)
    throw new UserError("must be a number of at least 0", { where: `${flag}=${value}` });
  return number;
}

/** The backend the flags name: host, isolated (bubblewrap, optionally a Debian environment) or docker. */
export function createBackendFromOptions(options: BackendOptions): Backend {
  if (options.pythonConfig) loadPythonConfig(options.pythonConfig);
  if (options.backend === "host") return createHostBackend({ python: options.python });
  if (options.backend === "isolated") {
    // A --python-config value `env:NAME` maps repo@version to an environment instead of an interpreter.
    const name = options.env ?? (options.python?.startsWith("env:") ? options.python.slice(4) : undefined);
    if (!name) return createIsolatedBackend({ python: options.python });
    const environment = readEnvironment(options.cacheDir, name);
    if (!environment)
      throw new UserError(`no environment ${name}`, {
        where: options.env ? `--env=${name}` : `--python-config env:${name}`,
        hint: "create it with swegate env create",
      });
    return createIsolatedBackend({ root: environment.root, environment });
  }
  throw new UserError(`backend ${JSON.stringify(options.backend)} is not available in this version`, {
    where: `--backend=${options.backend}`,
    hint: "use --backend host, isolated or docker",
  });
}

/**
 * One backend per interpreter, chosen per instance: `--python` for all, else the `--python-config`
 * entry for `repo@version` / `repo` / `*`, else `python3`. Backends are made once per interpreter.
 */
export function createBackendResolver(options: BackendOptions): (instance: Instance) => Backend {
  if (options.backend === "docker")
    return createDockerBackendResolver({
      onProgress: (line) => process.stderr.write(`docker: ${line}\n`),
    });
  const config = options.pythonConfig ? loadPythonConfig(options.pythonConfig) : undefined;
  if (options.backend === "isolated" && !options.env && !options.python && !config)
    return resolveEnvironmentPerInstance(options);
  // Environments named in the mapping are checked now, so a missing one is a one-line error up front.
  if (config && options.backend === "isolated")
    for (const value of Object.values(config))
      if (value.startsWith("env:"))
        createBackendFromOptions({ ...options, python: value, pythonConfig: undefined });
  if (!config) {
    const backend = createBackendFromOptions(options);
    return () => backend;
  }
  const backends = new Map<string, Backend>();
  return (instance) => {
    const python = resolvePython(config, instance, options.python);
    let backend = backends.get(python);
    if (!backend) {
      backend = createBackendFromOptions({ ...options, python, pythonConfig: undefined });
      backends.set(python, backend);
    }
    return backend;
  };
}

/** The repository cache; the bundled demo's repositories are built locally and need no network. */
export function createCacheFromOptions(options: BackendOptions, dataset: Dataset): RepoCache {
  let template = options.repoUrl ?? DEFAULT_REPO_URL_TEMPLATE;
  if (dataset.source === "demo" && !options.repoUrl) {
    template = buildDemoRepositories(join(options.cacheDir, "demo-repos")).repoUrlTemplate;
  }
  const cache = createRepoCache({
    cacheDir: options.cacheDir,
    repoUrlTemplate: template,
    workspacesDir: options.workspaceDir,
  });
  // The host backend runs pytest in checkouts under this folder: a pytest config above them applies.
  const above = options.backend === "host" ? findPytestConfigAbove(cache.workspacesDir) : undefined;
  if (above)
    process.stderr.write(
      `swegate: warning: ${above} configures pytest and sits above the checkouts; pytest applies it to repositories without a config of their own, unlike the harness: move it, or put the checkouts elsewhere with --workspace-dir\n`,
    );
  return cache;
}

/**
 * `--backend isolated` with no `--env`: each instance runs in the Debian environment whose Python is
 * closest to its spec's (built with debootstrap on first need, then cached); instances whose spec
 * asks for the host's own Python use the host system, sandboxed.
 */
function resolveEnvironmentPerInstance(options: BackendOptions): (instance: Instance) => Backend {
  const host = createIsolatedBackend({});
  const hostRelease = releaseForPython(process.env.SWEGATE_HOST_PYTHON ?? "3.11").release;
  const backends = new Map<string, Backend>();
  return (instance) => {
    const wanted = specFor(instance).python;
    if (!wanted || releaseForPython(wanted).release === hostRelease) return host;
    const name = defaultEnvironmentName(wanted);
    let backend = backends.get(name);
    if (!backend) {
      backend = createLazyBackend("isolated", async () => {
        const environment =
          readEnvironment(options.cacheDir, name) ??
          (await createEnvironment({
            cacheDir: options.cacheDir,
            name,
            python: wanted,
            onProgress: (line) => process.stderr.write(`env ${name}: ${line}\n`),
          }));
        return createIsolatedBackend({ root: environment.root, environment });
      });
      backends.set(name, backend);
    }
    return backend;
  };
}
