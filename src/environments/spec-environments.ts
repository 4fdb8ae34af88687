import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { Instance } from "../dataset/instance.js";
import { UserError } from "../errors.js";
import { type Spec, specFor } from "../specs/spec-for.js";
import { withFileLock } from "../workspace/with-file-lock.js";
import { buildRequirements } from "./build-requirements.js";
import { type BuildStep, preinstallDependencies } from "./preinstall-dependencies.js";
import {
  availableInterpreters,
  type Interpreter,
  MAX_MINOR_DISTANCE,
  nearestInterpreter,
} from "./spec-interpreters.js";
import { minorVersion } from "./spec-python.js";
import {
  MissingRequirementsError,
  type RepositoryFileReader,
  type SpecRequirements,
  specRequirements,
} from "./spec-requirements.js";
import { type SpecSandbox, sandboxedBuildStep } from "./spec-sandbox.js";

/** Why a spec environment (or an instance's install into it) could not be had. */
export type BuildFailureReason = "dependency_install_failed" | "build_failed" | "interpreter_unavailable";

/**
 * The line a spec environment prints for each line of evidence of a failed build, before any test
 * runs: the gates read it back (`env-broken-reasons.ts`) as env_broken with the reason in brackets.
 */
export const BUILD_FAILURE_MARKER = "swegate: environment build failed";

export const buildFailureLine = (reason: BuildFailureReason, text: string) =>
  `${BUILD_FAILURE_MARKER} (${reason}): ${text}`;

/** What a built spec environment holds; its digest (of `freeze`) goes into every fingerprint. */
export interface SpecEnvironmentRecord {
  name: string;
  repo: string;
  version: string;
  /** The spec's Python, `3.9`. */
  spec_python: string;
  /** `Python 3.9.18` as the environment's interpreter reports it. */
  python_version: string;
  /** The interpreter the environment was made from (layers are made from it too). */
  base_interpreter: string;
  /** `uv` or `pip` (python -m venv + pip, where uv is absent). */
  tool: "uv" | "pip";
  /**
   * Under `--backend isolated`: the sandbox it was built in and runs in (`debian-bullseye`, or `host`
   * for the host's system read-only); absent for the host backend.
   */
  sandbox?: string;
  /** Under `--backend isolated`: the repository's build requirements installed (each run installs offline). */
  build_requirements?: string[];
  /** Where the package list came from (`requirements.txt at requirements/dev.txt`, `explicit`, …). */
  packages_source: string;
  /** Conda packages left out (no PyPI package): the machine must provide them. */
  skipped: string[];
  /** With uv: nothing uploaded after this date was installed (`--exclude-newer`), or null. */
  exclude_newer: string | null;
  /** `preinstalled` when the repository's own dependencies came from its setup commit, else why not. */
  repository_dependencies: string;
  /**
   * The repository's version as its setup commit's install reported it. Under --backend isolated a
   * run's checkout has no readable git history, so setuptools-scm is told this one.
   */
  repository_version?: string;
  /** `uv pip freeze` (or `pip freeze --all`) of the environment, sorted. */
  freeze: string[];
  /** sha256 (hex) of the Python version and `freeze` (and the sandbox's name and digest, under --backend isolated). */
  digest: string;
  /** The environment's site-packages (what each instance's layer adds after its own). */
  site_packages: string;
  /** Seconds the build took. */
  build_seconds: number;
  created_at: string;
}

export type SpecEnvironmentResult =
  | { ok: true; record: SpecEnvironmentRecord; dir: string }
  | { ok: false; reason: BuildFailureReason; evidence: string[] };

export const specEnvironmentsDir = (cacheDir: string) => join(cacheDir, "spec-environments");

/**
 * pip, setuptools and wheel as the harness's conda environments had them (its images were built in
 * 2024: pip 24.0, setuptools 69.5, wheel 0.43), the newest of those a Python can run. Today's pip
 * installs an old `setup.py` project through PEP 660 and fails where pip 24.0 ran `setup.py develop`
 * (sphinx-doc__sphinx-8801: a ContextualVersionConflict on markupsafe); a spec's own pins
 * (`setuptools==70.0.0`) come later and win.
 */
export const SEED_PACKAGES = ["pip<24.1", "setuptools<70", "wheel<0.44"];

/** The uv on PATH (PyPI's `uv`), or undefined: then `python -m venv` and pip are used. */
export function findUv(): string | undefined {
  if (process.env.SWEGATE_NO_UV) return undefined;
  try {
    return execFileSync("bash", ["-c", "command -v uv"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Builds (or finds already built) the virtual environment the harness's spec names for an instance's
 * repo@version: from the nearest interpreter this machine has (`spec-interpreters.ts`), the spec's
 * package list (`spec-requirements.ts`), then its `pip_packages` with their pins — what the harness's
 * environment image holds. Cached per (repo, version, Python, digest of what is installed). The
 * repository itself is installed per instance, in a layer (`spec-environment-backend.ts`). Expected
 * failures are values with a reason and the lines that show it.
 */
export async function buildSpecEnvironment(options: {
  cacheDir: string;
  instance: Pick<Instance, "repo" | "version" | "extra">;
  /** The repository's files at the environment setup commit (for requirements.txt / environment.yml). */
  read: RepositoryFileReader;
  /** A package index instead of PyPI (`--index-url`). */
  indexUrl?: string;
  /** With uv: no package uploaded after this date (`--exclude-newer`, e.g. 2024-06-01). */
  excludeNewer?: string;
  /** A fresh checkout of the environment setup commit (for the repository's own dependencies). */
  checkout?: () => Promise<string | undefined>;
  /**
   * Under `--backend isolated`: the sandbox to build in, from its own interpreter (instead of the
   * host's nearest), with the repository's build requirements added for the offline per-run install.
   */
  sandbox?: SpecSandbox;
  onProgress?: (line: string) => void;
}): Promise<SpecEnvironmentResult> {
  const { instance, sandbox } = options;
  const spec = specFor(instance);
  const wanted = minorVersion(spec.python) ?? "3.11";
  const interpreter = sandbox
    ? nearestInterpreter(wanted, [sandbox.interpreter])
    : nearestInterpreter(wanted, availableInterpreters());
  if (!interpreter) return failed("interpreter_unavailable", [noInterpreterLine(wanted, sandbox)]);
  let requirements: SpecRequirements;
  try {
    requirements = await specRequirements(instance.repo, spec, options.read);
  } catch (error) {
    if (error instanceof MissingRequirementsError)
      return failed("dependency_install_failed", [error.message]);
    throw error;
  }
  const building = sandbox ? await buildRequirements(options.read) : [];
  const specDigest = createHash("sha256")
    .update(
      JSON.stringify([
        instance.repo,
        instance.version,
        interpreter.version,
        SEED_PACKAGES,
        requirements,
        options.excludeNewer ?? "",
        Boolean(options.checkout),
        options.indexUrl ?? "",
        ...(sandbox ? [sandbox.name, sandbox.digest, building] : []),
      ]),
    )
    .digest("hex");
  // An environment built in a sandbox names it: it never mixes with one built on the host.
  const place = sandbox ? `-isolated-${sandbox.name}` : "";
  const name = `${instance.repo.replace("/", "__")}-${instance.version}-py${interpreter.version}${place}-${specDigest.slice(0, 12)}`;
  const dir = join(specEnvironmentsDir(options.cacheDir), name);
  const existing = readSpecEnvironment(options.cacheDir, name);
  if (existing) return { ok: true, record: existing, dir };
  // Processes sharing a cache (a cluster's shared disk) build each environment once: the others wait.
  mkdirSync(specEnvironmentsDir(options.cacheDir), { recursive: true });
  return withFileLock(`${dir}.lock`, async () => {
    const built = readSpecEnvironment(options.cacheDir, name);
    if (built) return { ok: true, record: built, dir };
    return buildInto({ ...options, spec, dir, name, interpreter, wanted, requirements, building });
  });
}

/** Why no interpreter serves: none near enough on this machine, or the sandbox's is too far. */
function noInterpreterLine(wanted: string, sandbox: SpecSandbox | undefined): string {
  if (sandbox)
    return `no environment under --backend isolated has a Python within ${MAX_MINOR_DISTANCE} minor version of ${wanted} (nearest: ${sandbox.name}, Python ${sandbox.interpreter.version}); run it with --backend host and an interpreter for ${wanted}`;
  const interpreters = availableInterpreters();
  return `no Python within ${MAX_MINOR_DISTANCE} minor version of ${wanted} (found: ${interpreters.map((entry) => entry.version).join(", ") || "none"}); install one (e.g. uv python install ${wanted}) or list interpreters in SWEGATE_SPEC_PYTHONS`;
}

/** Builds the environment `name` into `dir` (any half-built one there is replaced). */
async function buildInto(options: {
  dir: string;
  name: string;
  instance: Pick<Instance, "repo" | "version">;
  interpreter: Interpreter;
  wanted: string;
  requirements: SpecRequirements;
  /** The repository's build requirements (installed under --backend isolated only). */
  building: string[];
  spec: Spec;
  indexUrl?: string;
  excludeNewer?: string;
  checkout?: () => Promise<string | undefined>;
  sandbox?: SpecSandbox;
  onProgress?: (line: string) => void;
}): Promise<SpecEnvironmentResult> {
  const { dir, name, instance, interpreter, wanted, requirements, sandbox } = options;
  const started = Date.now();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const log = join(dir, "build.log");
  const venv = join(dir, "venv");
  const python = join(venv, "bin", "python");
  const uv = findUv();
  const env: Record<string, string> = { UV_PYTHON_DOWNLOADS: "never", PIP_DISABLE_PIP_VERSION_CHECK: "1" };
  if (options.indexUrl) env.PIP_INDEX_URL = options.indexUrl;
  const index = options.indexUrl ? ["--index-url", options.indexUrl] : [];
  const step: BuildStep = sandbox
    ? sandboxedBuildStep(sandbox, { dir, env, log, uv })
    : (program, args, cwd) => runLogged(program, args, { env, log, cwd });
  const uvOptions = [...index, ...(options.excludeNewer ? ["--exclude-newer", options.excludeNewer] : [])];
  options.onProgress?.(
    `${name}: ${uv ? "uv" : "python -m venv + pip"} from ${interpreter.path}${sandbox ? ` in the ${sandbox.name} sandbox` : ""} (Python ${interpreter.version}, spec ${wanted})`,
  );
  for (const skipped of requirements.skipped)
    appendFileSync(log, `swegate: conda package ${skipped} left out (no PyPI package)\n`);

  // uv venv without --seed: the seed packages come next, at the harness's versions.
  const created = uv
    ? await step(uv, ["venv", "--python", interpreter.path, venv])
    : await step(interpreter.path, ["-m", "venv", venv]);
  // `-m venv` fails when the interpreter lacks ensurepip (Debian without python3-venv).
  if (created.code !== 0) return failed("interpreter_unavailable", evidenceLines(created.output), dir);
  const install = (args: string[]) =>
    uv
      ? step(uv, ["pip", "install", "--python", python, ...uvOptions, ...args])
      : step(python, ["-m", "pip", "install", ...args]);
  const seeded = await install(SEED_PACKAGES);
  if (seeded.code !== 0) return failed("dependency_install_failed", evidenceLines(seeded.output), dir);
  // Before the spec's packages, so its pins win where a build requirement names the same package.
  if (options.building.length > 0) {
    options.onProgress?.(`${name}: build requirements ${options.building.join(" ")}`);
    const result = await install(options.building);
    if (result.code !== 0)
      for (const requirement of options.building)
        if ((await install([requirement])).code !== 0)
          appendFileSync(
            log,
            `swegate: build requirement ${requirement} left out (it cannot be installed)\n`,
          );
  }
  if (requirements.packages.length > 0) {
    writeFileSync(join(dir, "requirements.txt"), `${requirements.packages.join("\n")}\n`);
    options.onProgress?.(`${name}: ${requirements.packages.length} packages (${requirements.source})`);
    const result = await install(["-r", join(dir, "requirements.txt")]);
    if (result.code !== 0) return failed("dependency_install_failed", evidenceLines(result.output), dir);
  }
  if (requirements.pipPackages.length > 0) {
    options.onProgress?.(`${name}: pip_packages ${requirements.pipPackages.join(" ")}`);
    const result = await install(requirements.pipPackages);
    if (result.code !== 0) return failed("dependency_install_failed", evidenceLines(result.output), dir);
  }
  const dependencies = await repositoryDependencies({ ...options, python, uv, uvOptions, step, log });
  const frozen = uv
    ? await step(uv, ["pip", "freeze", "--python", python])
    : await step(python, ["-m", "pip", "freeze", "--all"]);
  const facts = await step(python, [
    "-c",
    "import sys, sysconfig; print('Python %d.%d.%d' % sys.version_info[:3]); print(sysconfig.get_paths()['purelib'])",
  ]);
  const [pythonVersion = "unknown", sitePackages = ""] = facts.output.trim().split("\n");
  const freeze = frozen.output
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => /^[A-Za-z0-9]/.test(line) && !line.startsWith("Using "))
    .sort();
  const record: SpecEnvironmentRecord = {
    name,
    repo: instance.repo,
    version: instance.version,
    spec_python: wanted,
    python_version: pythonVersion,
    base_interpreter: interpreter.path,
    tool: uv ? "uv" : "pip",
    ...(sandbox ? { sandbox: sandbox.name, build_requirements: options.building } : {}),
    packages_source: requirements.source,
    skipped: requirements.skipped,
    exclude_newer: options.excludeNewer ?? null,
    repository_dependencies: dependencies.state,
    ...(dependencies.version ? { repository_version: dependencies.version } : {}),
    freeze,
    // Built in a sandbox, the Debian environment under it is part of what the tests ran in.
    digest: createHash("sha256")
      .update(JSON.stringify([pythonVersion, freeze, ...(sandbox ? [sandbox.name, sandbox.digest] : [])]))
      .digest("hex"),
    site_packages: sitePackages,
    build_seconds: Math.round((Date.now() - started) / 100) / 10,
    created_at: new Date().toISOString(),
  };
  writeFileSync(join(dir, "environment.json"), `${JSON.stringify(record, null, 2)}\n`);
  options.onProgress?.(`${name}: built in ${record.build_seconds} s, ${freeze.length} packages`);
  return { ok: true, record, dir };
}

/**
 * The repository's dependencies from its setup commit (`preinstall-dependencies.ts`): what happened,
 * and the repository's version its install reported.
 */
async function repositoryDependencies(options: {
  spec: Spec;
  checkout?: () => Promise<string | undefined>;
  python: string;
  uv: string | undefined;
  uvOptions: string[];
  step: BuildStep;
  log: string;
  name: string;
  onProgress?: (line: string) => void;
}): Promise<{ state: string; version?: string }> {
  if (!options.checkout || !options.spec.install) return { state: "not asked" };
  const checkout = await options.checkout();
  if (!checkout) return { state: "no checkout of the setup commit" };
  try {
    options.onProgress?.(`${options.name}: the repository's dependencies at its setup commit`);
    const result = await preinstallDependencies({ ...options, checkout });
    if (result.ok) return { state: "preinstalled", version: result.version };
    appendFileSync(
      options.log,
      `swegate: the repository's dependencies were not preinstalled: ${result.why}\n`,
    );
    return { state: `not preinstalled: ${result.why}` };
  } finally {
    rmSync(checkout, { recursive: true, force: true });
  }
}

function failed(reason: BuildFailureReason, evidence: string[], dir?: string): SpecEnvironmentResult {
  // A half-built environment is never used: only environment.json makes it one, and it is not written.
  if (dir) writeFileSync(join(dir, "failed.txt"), `${reason}\n${evidence.join("\n")}\n`);
  return { ok: false, reason, evidence };
}

/** The lines of a failed command that say why: its error lines (at most five), else its last three. */
export function evidenceLines(output: string): string[] {
  const lines = output
    .split("\n")
    .map((line) => line.trimEnd())
    .filter((line) => line.trim());
  const errors = lines.filter((line) =>
    /error|No matching distribution|not find a version|No solution found|unsatisfiable|requires-python|not found/i.test(
      line,
    ),
  );
  return (errors.length > 0 ? errors.slice(-5) : lines.slice(-3)).map((line) => line.trim());
}

/** Runs a build step, its output appended to the build log; the result is a value. */
function runLogged(
  program: string,
  args: string[],
  options: { env: Record<string, string>; log: string; cwd?: string },
): Promise<{ code: number; output: string }> {
  appendFileSync(options.log, `$ ${program} ${args.join(" ")}\n`);
  return new Promise((resolve) => {
    const child = spawn(program, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const keep = (chunk: Buffer) => {
      output += chunk.toString();
      appendFileSync(options.log, chunk);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", (error) => resolve({ code: 127, output: `${program}: ${error.message}` }));
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

/** A built environment's record, or undefined when it does not exist or was never finished. */
export function readSpecEnvironment(cacheDir: string, name: string): SpecEnvironmentRecord | undefined {
  const file = join(specEnvironmentsDir(cacheDir), name, "environment.json");
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, "utf8")) as SpecEnvironmentRecord;
}

/** Notes that an instance used an environment (`swegate env list` shows who). */
export function recordSpecEnvironmentUse(cacheDir: string, name: string, instanceId: string): void {
  appendFileSync(join(specEnvironmentsDir(cacheDir), name, "users.txt"), `${instanceId}\n`);
}

/** Every built spec environment with its size on disk and the instances that used it. */
export function listSpecEnvironments(
  cacheDir: string,
): (SpecEnvironmentRecord & { size_bytes: number; users: string[] })[] {
  const root = specEnvironmentsDir(cacheDir);
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((name) => {
    const record = readSpecEnvironment(cacheDir, name);
    if (!record) return [];
    const usersFile = join(root, name, "users.txt");
    const users = existsSync(usersFile)
      ? [...new Set(readFileSync(usersFile, "utf8").split("\n").filter(Boolean))].sort()
      : [];
    return [{ ...record, size_bytes: diskUsage(join(root, name)), users }];
  });
}

export function removeSpecEnvironment(cacheDir: string, name: string): void {
  const dir = join(specEnvironmentsDir(cacheDir), name);
  if (!existsSync(dir)) throw new UserError(`no spec environment ${name}`, { hint: "see swegate env list" });
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Removes the spec environments least recently used (their last use, else their build) until those
 * left take at most `maxBytes`; returns the names removed. An environment in use by a running
 * process is not protected: prune between runs.
 */
export function pruneSpecEnvironments(cacheDir: string, maxBytes: number): string[] {
  const root = specEnvironmentsDir(cacheDir);
  const lastUse = (name: string) => {
    const users = join(root, name, "users.txt");
    return existsSync(users)
      ? statSync(users).mtimeMs
      : statSync(join(root, name, "environment.json")).mtimeMs;
  };
  const environments = listSpecEnvironments(cacheDir)
    .map((record) => ({ name: record.name, size: record.size_bytes, used: lastUse(record.name) }))
    .sort((left, right) => left.used - right.used);
  let total = environments.reduce((sum, environment) => sum + environment.size, 0);
  const removed: string[] = [];
  for (const environment of environments) {
    if (total <= maxBytes) break;
    removeSpecEnvironment(cacheDir, environment.name);
    total -= environment.size;
    removed.push(environment.name);
  }
  return removed;
}

/** `20G`, `500M`, `1024K` or a number of bytes; undefined when the text is none of those. */
export function parseSize(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?$/i.exec(text.trim());
  if (!match) return undefined;
  const power = ["", "K", "M", "G", "T"].indexOf((match[2] ?? "").toUpperCase());
  return Math.round(Number(match[1]) * 1024 ** power);
}

/** Bytes a folder takes on disk (`du`; hard links uv shares with its cache are counted once per folder). */
function diskUsage(dir: string): number {
  try {
    return Number(execFileSync("du", ["-sk", dir], { encoding: "utf8" }).split("\t")[0]) * 1024;
  } catch {
    return 0;
  }
}
