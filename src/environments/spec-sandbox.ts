import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Instance } from "../dataset/instance.js";
import type { Backend } from "../exec/backend.js";
import { createIsolatedBackend } from "../exec/isolated-backend.js";
import { specFor } from "../specs/spec-for.js";
import type { EnvironmentChoice } from "./per-instance-environments.js";
import type { BuildStep } from "./preinstall-dependencies.js";
import { type Interpreter, probeInterpreter } from "./spec-interpreters.js";
import { minorVersion } from "./spec-python.js";

/**
 * Where a spec environment is built and its tests run under `--backend isolated`: a Debian
 * environment's root (or the host's system, read-only) under bubblewrap. The environment is made
 * from the interpreter inside it, so the virtual environment's base interpreter exists in the
 * sandbox; paths are the same inside and out (every folder is bound at its own path).
 */
export interface SpecSandbox {
  /** `debian-bullseye`, or `host` for the host's system: part of the spec environment's name. */
  name: string;
  /** The root's digest (its Debian packages; empty for the host's system): part of the environment's. */
  digest: string;
  /** The interpreter inside the sandbox the environment is made from. */
  interpreter: Interpreter;
  /** A bubblewrap backend over this root, seeing `binds` besides the workspace. */
  backend(options: {
    binds: { path: string; writable?: boolean; at?: string }[];
    pathFirst?: string[];
    network?: boolean;
  }): Backend;
}

/** Seconds a build step may take in the sandbox (a compiled dependency without a wheel is slow). */
const BUILD_STEP_TIMEOUT_SECONDS = 3 * 3600;

const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

/**
 * Where the host's uv is seen in the sandbox: not at its own path, which may lie under the root's
 * read-only /usr (`pip install uv` as root puts it in /usr/local/bin) where nothing can be mounted.
 */
const UV_IN_SANDBOX = "/run/swegate-uv/uv";

/** A command line for the sandbox, the host's uv called where the sandbox sees it. */
function commandLine(program: string, args: string[], uv: string | undefined): string {
  return `exec ${[program === uv ? UV_IN_SANDBOX : program, ...args].map(quote).join(" ")}`;
}

/**
 * The sandbox of the environment nearest the instance's spec Python under `--backend isolated`, or
 * the env_broken failure (`interpreter_unavailable`) that none can be had, with why.
 */
export async function chooseSpecSandbox(
  instance: Pick<Instance, "repo" | "version" | "extra">,
  choose: (wanted: string) => Promise<EnvironmentChoice>,
): Promise<SpecSandbox | { ok: false; reason: "interpreter_unavailable"; evidence: string[] }> {
  const choice = await choose(minorVersion(specFor(instance).python) ?? "3.11");
  if (!choice.ok)
    return {
      ok: false,
      reason: "interpreter_unavailable",
      evidence: [`environment ${choice.name} cannot be had: ${choice.reason}`],
    };
  return (
    specSandboxFor(choice) ?? {
      ok: false,
      reason: "interpreter_unavailable",
      evidence: ["the host's python3 does not run (it is the sandbox's interpreter for this Python)"],
    }
  );
}

/** The sandbox of an environment `--backend isolated` chose for a Python (`per-instance-environments.ts`). */
export function specSandboxFor(choice: Extract<EnvironmentChoice, { ok: true }>): SpecSandbox | undefined {
  const { record } = choice;
  if (!record) {
    const interpreter = probeInterpreter("python3");
    if (!interpreter) return undefined;
    return {
      name: "host",
      digest: "",
      interpreter,
      backend: (options) => createIsolatedBackend({ python: interpreter.path, ...options }),
    };
  }
  return {
    name: choice.name,
    digest: record.digest,
    interpreter: {
      path: "/usr/bin/python3",
      version: minorVersion(record.python_version) ?? choice.python,
    },
    backend: (options) =>
      createIsolatedBackend({
        root: record.root,
        environment: record,
        python: "/usr/bin/python3",
        ...options,
      }),
  };
}

/**
 * Build steps run inside the sandbox, with the network (they install the spec's pinned packages from
 * the index, and run the setup commit's own install; never a candidate's code). The environment's
 * folder and uv's download cache are writable, uv itself read-only; a step's folder (the setup
 * commit's checkout) is its workspace, with the mirror its objects are borrowed from read-only.
 */
export function sandboxedBuildStep(
  sandbox: SpecSandbox,
  options: { dir: string; env: Record<string, string>; log: string; uv: string | undefined },
): BuildStep {
  const downloads = uvDownloads(options.uv);
  const env: Record<string, string> = { ...options.env, ...downloads.env };
  return async (program, args, cwd) => {
    appendFileSync(options.log, `$ ${program} ${args.join(" ")}   [in the ${sandbox.name} sandbox]\n`);
    const binds: Bind[] = [{ path: options.dir, writable: true }, ...downloads.binds];
    for (const path of borrowedObjects(cwd)) binds.push({ path, writable: false });
    const result = await sandbox
      .backend({ binds, network: true })
      .run(commandLine(program, args, options.uv), {
        cwd: cwd ?? options.dir,
        env,
        timeoutSeconds: BUILD_STEP_TIMEOUT_SECONDS,
      });
    appendFileSync(options.log, result.output);
    return { code: result.timedOut ? 124 : (result.exitCode ?? 1), output: result.output };
  };
}

/**
 * Commands inside the sandbox with no network, seeing only the shared environment (read-only) and
 * one checkout's layer (writable): how a layer is made and asked for its site-packages.
 */
export function sandboxedLayerStep(sandbox: SpecSandbox, venv: string, layer: string, uv?: string) {
  return async (program: string, args: string[]): Promise<{ code: number; output: string }> => {
    mkdirSync(layer, { recursive: true });
    const binds: Bind[] = [
      { path: venv, writable: false },
      { path: layer, writable: true },
    ];
    if (uv) binds.push({ path: uv, writable: false, at: UV_IN_SANDBOX });
    const result = await sandbox.backend({ binds }).run(commandLine(program, args, uv), {
      cwd: layer,
      env: { UV_PYTHON_DOWNLOADS: "never", UV_OFFLINE: "1", UV_NO_CACHE: "1" },
      timeoutSeconds: 300,
    });
    return { code: result.exitCode ?? 1, output: result.output };
  };
}

/**
 * Installs into one checkout's layer from the index, with the network, inside the sandbox: the shared
 * environment read-only, the layer and uv's download cache writable. Wheels only (`--only-binary
 * :all:`), so no package's build code runs here: what has no wheel stays missing and the offline
 * install names it.
 */
export function sandboxedLayerInstall(
  sandbox: SpecSandbox,
  options: { venv: string; layer: string; uv: string | undefined; env: Record<string, string> },
) {
  const downloads = uvDownloads(options.uv);
  const env: Record<string, string> = { ...options.env, UV_PYTHON_DOWNLOADS: "never", ...downloads.env };
  return async (requirements: string[]): Promise<{ code: number; output: string }> => {
    const binds: Bind[] = [
      { path: options.venv, writable: false },
      { path: options.layer, writable: true },
      ...downloads.binds,
    ];
    const python = join(options.layer, "bin", "python");
    const [program, args] = options.uv
      ? [options.uv, ["pip", "install", "--python", python, "--only-binary", ":all:", ...requirements]]
      : [python, ["-m", "pip", "install", "--only-binary", ":all:", ...requirements]];
    const result = await sandbox
      .backend({ binds, network: true })
      .run(commandLine(program, args, options.uv), {
        cwd: options.layer,
        env,
        timeoutSeconds: BUILD_STEP_TIMEOUT_SECONDS,
      });
    return { code: result.exitCode ?? 1, output: result.output };
  };
}

/** A folder the sandbox sees: at its own path, or at `at`. */
type Bind = { path: string; writable: boolean; at?: string };

/**
 * What a sandboxed step that downloads with uv needs: uv itself (read-only, at its sandbox path) and
 * uv's download cache (writable), with the variables that point uv at it.
 */
function uvDownloads(uv: string | undefined): { binds: Bind[]; env: Record<string, string> } {
  if (!uv) return { binds: [], env: {} };
  const binds: Bind[] = [{ path: uv, writable: false, at: UV_IN_SANDBOX }];
  const cache = uvCacheDir(uv);
  if (!cache) return { binds, env: {} };
  binds.push({ path: cache, writable: true });
  // uv's cache and the environment are separate mounts in the sandbox: hard links cannot cross them.
  return { binds, env: { UV_CACHE_DIR: cache, UV_LINK_MODE: "copy" } };
}

/** uv's download cache folder on this machine (made when missing), or undefined when uv cannot say. */
function uvCacheDir(uv: string): string | undefined {
  try {
    const dir = execFileSync(uv, ["cache", "dir"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
      .trim()
      .split("\n")
      .at(-1);
    if (!dir) return undefined;
    mkdirSync(dir, { recursive: true });
    return dir;
  } catch {
    return undefined;
  }
}

/** The object folders a `git clone --shared` checkout borrows from (its alternates), which must be readable. */
function borrowedObjects(cwd: string | undefined): string[] {
  const file = cwd ? join(cwd, ".git", "objects", "info", "alternates") : undefined;
  if (!file || !existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith("/") && existsSync(line));
}
