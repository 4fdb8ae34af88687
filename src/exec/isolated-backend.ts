import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, readdirSync, readlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { EnvironmentError } from "../errors.js";
import type { Backend, CommandResult, EnvironmentDescription, RunOptions } from "./backend.js";
import { controlledEnvironment } from "./host-backend.js";
import { runScriptFile } from "./spawn-merged.js";

export interface IsolatedBackendOptions {
  /** Interpreter inside the sandbox (default `python3` of the host system; `python3` of the root). */
  python?: string;
  /** A root filesystem (e.g. a Debian environment) to use instead of the host's system, read-only. */
  root?: string;
  /** Identifies the root in fingerprints: name and digest of the environment. */
  environment?: { name: string; digest: string };
  /** Extra variables for every command. */
  env?: Record<string, string>;
  /**
   * Folders (or files) besides the workspace the sandbox sees at their own paths (or at `at`),
   * read-only unless `writable` (a spec environment read-only, the checkout's layer over it writable).
   */
  binds?: { path: string; writable?: boolean; at?: string }[];
  /** Folders put first on PATH, before the interpreter's (a virtual environment's bin). */
  pathFirst?: string[];
  /**
   * Share the host's network: only for building an environment (installing its pinned packages from
   * the index), never for running tests or anything of a candidate's.
   */
  network?: boolean;
}

const SYSTEM_DIRECTORIES = ["/usr", "/bin", "/lib", "/lib32", "/lib64", "/libx32", "/sbin", "/etc"];

/** True when bubblewrap can create namespaces here (it needs unprivileged user namespaces or root). */
export function isolationAvailable(): boolean {
  try {
    execFileSync("bwrap", ["--unshare-all", "--ro-bind", "/", "/", "true"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs every command inside bubblewrap: no network (a server on the host's 127.0.0.1 is
 * unreachable), the system read-only, only the workspace writable, a private /tmp and HOME, and
 * nothing else of the host's files — not the repository cache (so the workspace's `.git` points
 * nowhere and no later commit can be read), not the user's home. The whole process tree dies with
 * the sandbox at the timeout (PID namespace + --die-with-parent + process-group kill).
 */
export function createIsolatedBackend(options: IsolatedBackendOptions = {}): Backend {
  if (!existsSync("/usr/bin/bwrap") && !whichSync("bwrap")) {
    throw new EnvironmentError("bubblewrap (bwrap) is not installed", {
      where: "--backend isolated",
      hint: "apt-get install bubblewrap",
    });
  }
  const root = options.root;
  const python = root
    ? (options.python ?? "/usr/bin/python3")
    : resolveInterpreter(options.python ?? "python3");
  const interpreterBinds = root ? [] : interpreterPrefixes(python);
  const sandbox = (
    workspace: string,
    scriptDir: string,
    extraReadOnly: string[] = [],
    evidenceDir?: string,
  ): string[] => {
    const args = ["--unshare-all", "--die-with-parent", "--new-session"];
    if (options.network) args.push("--share-net");
    for (const path of SYSTEM_DIRECTORIES) {
      const source = root ? join(root, path) : path;
      if (!existsSync(source)) continue;
      if (lstatSync(source).isSymbolicLink()) args.push("--symlink", readlinkSync(source), path);
      else if (options.network && root && path === "/etc") args.push(...etcWithHostNetwork(source));
      else args.push("--ro-bind", source, path);
    }
    for (const prefix of interpreterBinds) args.push("--ro-bind", prefix, prefix);
    if (options.network) args.push(...hostTrustFiles(root));
    args.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--dir", "/tmp/home");
    // `python` (old test runners' `#!/usr/bin/env python`) is the configured interpreter too.
    args.push(
      "--dir",
      "/run/swegate-bin",
      "--symlink",
      python,
      "/run/swegate-bin/python",
      "--symlink",
      python,
      "/run/swegate-bin/python3",
    );
    args.push("--ro-bind", scriptDir, "/run/swegate", "--bind", workspace, workspace, "--chdir", workspace);
    // Folders a run puts on PYTHONPATH besides the workspace (e.g. the Django test-id shim) stay visible, read-only.
    for (const path of extraReadOnly) args.push("--ro-bind", path, path);
    // In the order given, so a writable folder can sit inside a read-only one.
    for (const bind of options.binds ?? [])
      args.push(bind.writable ? "--bind" : "--ro-bind", bind.path, bind.at ?? bind.path);
    // The evidence folder (pytest's JUnit report) at its own path, after the private /tmp it may sit in.
    if (evidenceDir) args.push("--bind", evidenceDir, evidenceDir);
    return args;
  };
  return {
    name: "isolated",
    collectsEvidence: true,
    async run(script: string, runOptions: RunOptions): Promise<CommandResult> {
      const env = controlledEnvironment(runOptions.cwd, undefined, {
        ...(options.network ? hostNetworkVariables() : {}),
        ...options.env,
        ...runOptions.env,
      });
      env.HOME = "/tmp/home";
      env.TMPDIR = "/tmp";
      env.PATH = [
        ...(options.pathFirst ?? []),
        "/run/swegate-bin",
        dirname(python),
        "/usr/local/bin:/usr/bin:/bin",
      ].join(":");
      return runScriptFile(
        script,
        (path) => ({
          program: "bwrap",
          args: [
            ...sandbox(
              runOptions.cwd,
              dirname(path),
              (runOptions.env?.PYTHONPATH ?? "")
                .split(":")
                .filter((entry) => entry && existsSync(entry) && !entry.startsWith(runOptions.cwd)),
              runOptions.evidenceDir,
            ),
            "bash",
            "/run/swegate/run.sh",
          ],
        }),
        {
          cwd: runOptions.cwd,
          env,
          timeoutSeconds: runOptions.timeoutSeconds,
          outputLimitBytes: runOptions.outputLimitBytes,
          onOutput: runOptions.onOutput,
          signal: runOptions.signal,
        },
      );
    },
    async describe(describeOptions): Promise<EnvironmentDescription> {
      const result = await this.run("python --version 2>&1 || python3 --version", {
        cwd: describeOptions.cwd,
        timeoutSeconds: 60,
      });
      return {
        backend: "isolated",
        python,
        pythonVersion: result.output.trim().split("\n").at(-1) ?? "unknown",
        imageDigest: options.environment?.digest,
        details: { root: options.environment?.name ?? "host system (read-only)" },
      };
    },
  };
}

/**
 * The host's name resolution a build with the network needs: a machine may reach its package index
 * only through the servers its resolv.conf names or the addresses its hosts file gives (a proxy
 * standing in for pypi.org), and a Debian root has its own (or no) copies. So the root's /etc is
 * bound entry by entry, with the host's resolv.conf and hosts in place of its own.
 */
const HOST_RESOLUTION = ["resolv.conf", "hosts"];

function etcWithHostNetwork(rootEtc: string): string[] {
  const args = ["--dir", "/etc"];
  for (const name of readdirSync(rootEtc)) {
    if (HOST_RESOLUTION.includes(name) && existsSync(join("/etc", name))) continue;
    const source = join(rootEtc, name);
    if (lstatSync(source).isSymbolicLink()) args.push("--symlink", readlinkSync(source), join("/etc", name));
    else args.push("--ro-bind", source, join("/etc", name));
  }
  for (const name of HOST_RESOLUTION)
    if (existsSync(join("/etc", name))) args.push("--ro-bind", join("/etc", name), join("/etc", name));
  return args;
}

/**
 * Variables a build with the network takes from the host: its proxies and the TLS trust they may
 * need (an intercepting proxy's certificate authority), which the controlled environment leaves out.
 */
const NETWORK_VARIABLES = [
  ...["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy"],
  ...["SSL_CERT_FILE", "SSL_CERT_DIR", "PIP_CERT", "REQUESTS_CA_BUNDLE", "UV_NATIVE_TLS"],
];
const TRUST_VARIABLES = ["SSL_CERT_FILE", "SSL_CERT_DIR", "PIP_CERT", "REQUESTS_CA_BUNDLE"];

function hostNetworkVariables(): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const name of NETWORK_VARIABLES) {
    const value = process.env[name];
    if (value) variables[name] = value;
  }
  return variables;
}

/**
 * The certificate files and folders those variables name, read-only at their own paths; under a
 * root only where the root has the same path to mount over (its /usr, /etc are read-only).
 */
function hostTrustFiles(root: string | undefined): string[] {
  const args: string[] = [];
  const named = TRUST_VARIABLES.map((name) => process.env[name] ?? "");
  for (const path of new Set(named.filter((path) => path.startsWith("/")))) {
    if (!existsSync(path)) continue;
    const underSystem = SYSTEM_DIRECTORIES.some((dir) => path.startsWith(`${dir}/`));
    if (root && underSystem && !existsSync(join(root, path))) continue;
    args.push("--ro-bind", path, path);
  }
  return args;
}

function whichSync(command: string): string | undefined {
  try {
    return (
      execFileSync("bash", ["-c", 'command -v "$1"', "swegate", command], { encoding: "utf8" }).trim() ||
      undefined
    );
  } catch {
    return undefined;
  }
}

/** The interpreter's real path (pyenv shims and venvs resolve to the binary that runs). */
function resolveInterpreter(python: string): string {
  const found = python.includes("/") ? python : (whichSync(python) ?? python);
  try {
    return (
      execFileSync(found, ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).trim() || found
    );
  } catch {
    return found;
  }
}

/** Folders an interpreter outside /usr needs (its prefix and base prefix), read-only. */
function interpreterPrefixes(python: string): string[] {
  try {
    const output = execFileSync(python, ["-c", "import sys; print(sys.prefix); print(sys.base_prefix)"], {
      encoding: "utf8",
    });
    return [...new Set(output.trim().split("\n"))].filter((prefix) => prefix && !prefix.startsWith("/usr"));
  } catch {
    return [];
  }
}
