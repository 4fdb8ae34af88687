import { execFile, execFileSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { UserError } from "../errors.js";
import type { Backend, CommandResult, EnvironmentDescription, RunOptions } from "./backend.js";
import { type Containment, containScript } from "./contain-script.js";
import { spawnMerged, writeTemporaryScript } from "./spawn-merged.js";

const run = promisify(execFile);

export interface HostBackendOptions {
  /** Interpreter used for `python`/`python3` inside commands (default `python3` from PATH). */
  python?: string;
  /** Extra variables for every command. */
  env?: Record<string, string>;
  /** How what a script starts is kept hold of (default `auto`: a PID namespace where one can be had). */
  containment?: Containment;
}

/**
 * Runs commands as local subprocesses with a controlled environment: a fixed locale, no bytecode
 * files, the workspace (and its `src/` layout) on PYTHONPATH so the checkout is the code under test,
 * and the configured interpreter first on PATH as both `python` and `python3`.
 *
 * Each script runs contained (contain-script.ts): in a PID namespace of its own where one can be had,
 * so everything it starts ends with it or at its timeout, however it detached, and its /proc shows no
 * process outside (swegate's environment, API keys included, is out of its sight). That wrapper lives
 * here and not in spawnMerged, which the isolated backend shares: bubblewrap already gives that
 * backend a PID namespace and /proc of its own (--unshare-all), and a second one around it would cost
 * a process per run and, for an unprivileged user, a nested user namespace, for nothing.
 */
export function createHostBackend(options: HostBackendOptions = {}): Backend {
  const python = options.python ?? "python3";
  const shimDir = makeInterpreterShims(python);
  const containment = options.containment ?? "auto";
  return {
    name: "host",
    collectsEvidence: true,
    async run(script: string, runOptions: RunOptions): Promise<CommandResult> {
      const file = writeTemporaryScript(script);
      try {
        const contained = containScript(file.path, containment);
        return await spawnMerged(contained.program, contained.args, {
          cwd: runOptions.cwd,
          env: {
            ...controlledEnvironment(runOptions.cwd, shimDir, { ...options.env, ...runOptions.env }),
            ...contained.env,
          },
          timeoutSeconds: runOptions.timeoutSeconds,
          outputLimitBytes: runOptions.outputLimitBytes,
          onOutput: runOptions.onOutput,
          signal: runOptions.signal,
          killStragglers: contained.killStragglers,
        });
      } finally {
        file.remove();
      }
    },
    async describe(describeOptions): Promise<EnvironmentDescription> {
      return {
        backend: "host",
        python,
        pythonVersion: await interpreterVersion(describeOptions.python ?? python),
      };
    },
  };
}

/** `Python 3.11.7`, or `unknown (…)` when the interpreter cannot run. */
export async function interpreterVersion(python: string): Promise<string> {
  try {
    const { stdout, stderr } = await run(python, ["--version"]);
    return (stdout || stderr).trim();
  } catch (error) {
    return `unknown (${(error as Error).message.split("\n")[0]})`;
  }
}

/** The environment every host command sees: the user's PATH and HOME, nothing that changes Python's behaviour. */
export function controlledEnvironment(
  workspace: string,
  shimDir: string | undefined,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  const pythonPath = [workspace, join(workspace, "src"), join(workspace, "lib")].filter(
    (path, index) => index === 0 || existsSync(path),
  );
  const keep = ["PATH", "HOME", "USER", "TMPDIR", "TERM"];
  const base: NodeJS.ProcessEnv = {};
  for (const key of keep) if (process.env[key] !== undefined) base[key] = process.env[key];
  return {
    ...base,
    PATH: shimDir ? `${shimDir}:${process.env.PATH ?? ""}` : process.env.PATH,
    LANG: "C.UTF-8",
    LC_ALL: "C.UTF-8",
    PYTHONIOENCODING: "utf-8",
    PYTHONDONTWRITEBYTECODE: "1",
    PYTHONPATH: [...pythonPath, extra.PYTHONPATH].filter(Boolean).join(":"),
    PIP_DISABLE_PIP_VERSION_CHECK: "1",
    ...Object.fromEntries(Object.entries(extra).filter(([key]) => key !== "PYTHONPATH")),
  };
}

/** A folder with `python` and `python3` pointing at the configured interpreter (none for the default). */
function makeInterpreterShims(python: string): string | undefined {
  if (python === "python3") return undefined;
  const dir = mkdtempSync(join(tmpdir(), "swegate-python-"));
  // A venv folder means its interpreter; anything else is taken as the interpreter itself.
  const target = existsSync(join(python, "bin", "python"))
    ? join(python, "bin", "python")
    : python.includes("/")
      ? python
      : execFileSync("bash", ["-c", 'command -v "$1"', "swegate", python], { encoding: "utf8" }).trim() ||
        python;
  try {
    accessSync(target, constants.X_OK);
  } catch {
    // A dangling shim would be skipped by PATH lookup and the tests would quietly run another Python.
    rmSync(dir, { recursive: true, force: true });
    throw new UserError(`interpreter ${python} not found or not executable`, {
      hint: "give --python (or the --python-config entry) a Python executable or a virtualenv folder",
    });
  }
  symlinkSync(target, join(dir, "python"));
  symlinkSync(target, join(dir, "python3"));
  return dir;
}
