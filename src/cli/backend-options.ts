import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { buildDemoRepositories } from "../dataset/demo/build-demo-repositories.js";
import type { Instance } from "../dataset/instance.js";
import type { Dataset } from "../dataset/load-dataset.js";
import { defaultDebianMirror, readEnvironment } from "../environments/debian-environments.js";
import {
  createEnvironmentChooser,
  createEnvironmentResolver,
} from "../environments/per-instance-environments.js";
import { createSpecEnvironmentResolver } from "../environments/spec-environment-backend.js";
import { createSpecPythonLabeller, minorVersion, specPython } from "../environments/spec-python.js";
import { UserError } from "../errors.js";
import type { Backend } from "../exec/backend.js";
import { createDockerBackendResolver } from "../exec/docker-backend.js";
import { createHostBackend } from "../exec/host-backend.js";
import { createIsolatedBackend } from "../exec/isolated-backend.js";
import { findPytestConfigAbove } from "../exec/pytest-config-above.js";
import { loadPythonConfig, resolvePython } from "../exec/python-config.js";
import { git } from "../workspace/git.js";
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
  /** Debian archive environments are built from (default: the one this machine's apt uses). */
  debianMirror?: string;
  /** Run each instance in the virtual environment built from the harness's spec (uv, else venv + pip). */
  specEnv?: boolean;
  /** Package index for spec environments instead of PyPI. */
  indexUrl?: string;
  /** Spec environments built with uv install nothing uploaded after this date. */
  excludeNewer?: string;
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
      "where tests run: host (a subprocess, the interpreter you give), isolated (bubblewrap: no network, only the workspace writable, a Debian environment with the spec's Python or the nearest; recommended for verdicts to publish without Docker) or docker (the official SWE-bench image per instance, the harness's own environment; DOCKER_HOST or Podman's socket)",
      "host",
    )
    .option("--python <path>", "interpreter (or venv folder) for every instance")
    .option(
      "--env <name>",
      "with --backend isolated: run in this Debian environment (default: the one whose Python is nearest the spec's, built on first need)",
    )
    .option(
      "--debian-mirror <url>",
      "with --backend isolated: the Debian archive environments are built from (default: this machine's apt archive; old releases: http://archive.debian.org/debian)",
    )
    .option(
      "--spec-env",
      "run each instance in a virtual environment built from the harness's spec for its repo@version (its packages and pins, made with uv or venv + pip on first need and cached; the repository installed per checkout). With --backend host: from the host's Python nearest the spec's; with --backend isolated: from the Debian environment's nearest, built in its sandbox with the network, tests run without it (the checkout installed offline)",
    )
    .option("--index-url <url>", "with --spec-env: the package index to install from instead of PyPI")
    .option(
      "--exclude-newer <date>",
      "with --spec-env: install nothing uploaded after this date (uv only; e.g. 2024-06-01, about when the harness's images were built)",
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
  if (options.specEnv) return createSpecEnvironmentResolverFromOptions(options);
  if (options.backend === "docker")
    return createDockerBackendResolver({
      onProgress: (line) => process.stderr.write(`docker: ${line}\n`),
    });
  const config = options.pythonConfig ? loadPythonConfig(options.pythonConfig) : undefined;
  if (options.backend === "isolated" && !options.env && !options.python && !config)
    return createEnvironmentResolver({
      cacheDir: options.cacheDir,
      mirror: options.debianMirror ?? defaultDebianMirror(),
      warn: (line) => process.stderr.write(`swegate: warning: ${line}\n`),
      progress: (line) => process.stderr.write(`${line}\n`),
    });
  // Environments named in the mapping are checked now, so a missing one is a one-line error up front.
  if (config && options.backend === "isolated")
    for (const value of Object.values(config))
      if (value.startsWith("env:"))
        createBackendFromOptions({ ...options, python: value, pythonConfig: undefined });
  const label = createSpecPythonLabeller();
  const warnMismatch = interpreterMismatchWarner(options);
  if (!config) {
    const backend = createBackendFromOptions(options);
    return (instance) => {
      warnMismatch(instance, options.python);
      return label(backend, specPython(instance));
    };
  }
  const backends = new Map<string, Backend>();
  return (instance) => {
    const python = resolvePython(config, instance, options.python);
    let backend = backends.get(python);
    if (!backend) {
      backend = createBackendFromOptions({ ...options, python, pythonConfig: undefined });
      backends.set(python, backend);
    }
    warnMismatch(instance, python);
    return label(backend, specPython(instance));
  };
}

/**
 * Warns once per repo@version when the interpreter that will run it is not the spec's Python minor
 * version: verdicts can differ from the harness's there (django-14787 passes on 3.11, fails on 3.8).
 */
function interpreterMismatchWarner(options: BackendOptions): (instance: Instance, python?: string) => void {
  const versions = new Map<string, string | undefined>();
  const warned = new Set<string>();
  const versionOf = (python: string | undefined) => {
    const key = python ?? "";
    if (!versions.has(key)) versions.set(key, interpreterVersion(options, python));
    return versions.get(key);
  };
  return (instance, python) => {
    const key = `${instance.repo}@${instance.version}`;
    const wanted = minorVersion(specPython(instance));
    if (!wanted || warned.has(key)) return;
    warned.add(key);
    const used = versionOf(python);
    if (!used || used === wanted) return;
    process.stderr.write(
      `swegate: warning: ${key} runs on Python ${used}, the harness on ${wanted}: verdicts may differ from the harness's (for faithful ones use --backend isolated, which picks the nearest environment, or docker)\n`,
    );
  };
}

/** `3.11` for the interpreter a host or isolated run would use; undefined when it cannot be asked. */
function interpreterVersion(options: BackendOptions, python: string | undefined): string | undefined {
  if (python?.startsWith("env:") || (options.backend === "isolated" && options.env)) {
    const name = python?.startsWith("env:") ? python.slice(4) : (options.env as string);
    return minorVersion(readEnvironment(options.cacheDir, name)?.python_version);
  }
  try {
    const program = python ?? "python3";
    const executable = existsSync(join(program, "bin", "python")) ? join(program, "bin", "python") : program;
    return minorVersion(execFileSync(executable, ["--version"], { encoding: "utf8", stdio: "pipe" }));
  } catch {
    return undefined;
  }
}

/**
 * `--spec-env`: spec environments over the host backend, or under `--backend isolated` built and run
 * in the sandbox of the Debian environment nearest each spec's Python; the repository's files are
 * read from its mirror.
 */
function createSpecEnvironmentResolverFromOptions(options: BackendOptions): (instance: Instance) => Backend {
  if (options.backend !== "host" && options.backend !== "isolated")
    throw new UserError("spec environments run on the host or isolated backend", {
      where: `--spec-env with --backend=${options.backend}`,
      hint: "use --backend host or isolated with --spec-env; --backend docker runs the harness's own images",
    });
  if (options.env)
    throw new UserError("--spec-env chooses the environment from the spec", {
      where: `--env=${options.env}`,
      hint: "drop --env, or drop --spec-env",
    });
  if (options.python || options.pythonConfig)
    throw new UserError("--spec-env chooses the interpreter from the spec", {
      where: options.python ? `--python=${options.python}` : `--python-config=${options.pythonConfig}`,
      hint: "drop --python/--python-config, or drop --spec-env",
    });
  if (options.excludeNewer && !/^\d{4}-\d{2}-\d{2}(?:T[\d:.]+Z?)?$/.test(options.excludeNewer))
    throw new UserError("is not a date", {
      where: `--exclude-newer=${options.excludeNewer}`,
      hint: "give YYYY-MM-DD, e.g. 2024-06-01",
    });
  const cache = createRepoCache({
    cacheDir: options.cacheDir,
    repoUrlTemplate: options.repoUrl ?? DEFAULT_REPO_URL_TEMPLATE,
  });
  const isolated = options.backend === "isolated";
  return createSpecEnvironmentResolver({
    cacheDir: options.cacheDir,
    inner: isolated ? createIsolatedBackend({}) : createHostBackend({}),
    chooseSandbox: isolated
      ? createEnvironmentChooser({
          cacheDir: options.cacheDir,
          mirror: options.debianMirror ?? defaultDebianMirror(),
          warn: (line) => process.stderr.write(`swegate: warning: ${line}\n`),
          progress: (line) => process.stderr.write(`${line}\n`),
          olderOnTies: true,
        })
      : undefined,
    indexUrl: options.indexUrl,
    excludeNewer: options.excludeNewer,
    progress: (line) => process.stderr.write(`${line}\n`),
    readAt: (cwd, instance) => {
      const commit = instance.environment_setup_commit || instance.base_commit;
      let fetched: Promise<unknown> | undefined;
      return async (path) => {
        fetched ??= cache.ensureCommit(instance.repo, commit).catch(() => undefined);
        await fetched;
        const shown = await git(["show", `${commit}:${path}`], { cwd });
        return shown.code === 0 ? shown.stdout : undefined;
      };
    },
  });
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
