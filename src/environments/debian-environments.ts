import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { EnvironmentError, UserError } from "../errors.js";
import { OLD_RELEASES_ARCHIVE, releaseMissingFrom } from "./debian-archive.js";

const run = promisify(execFile);

/** Debian releases and the Python each ships (what `--python X.Y` maps to). */
export const DEBIAN_RELEASES: { release: string; python: string }[] = [
  { release: "bookworm", python: "3.11" },
  { release: "bullseye", python: "3.9" },
  { release: "buster", python: "3.7" },
];

/**
 * Debian packages per repository, kept minimal (ARCHITECTURE.md, "without Docker": numpy breaks two sympy
 * tests; the pytest repository must not see Debian's pytest plugins).
 */
export const REPOSITORY_PACKAGES: Record<string, string[]> = {
  "sympy/sympy": ["python3-mpmath"],
  "pytest-dev/pytest": [
    "python3-py",
    "python3-atomicwrites",
    "python3-attr",
    "python3-pluggy",
    "python3-more-itertools",
    "python3-wcwidth",
    "python3-packaging",
  ],
  "django/django": ["python3-asgiref", "python3-sqlparse", "python3-tz"],
  "pallets/flask": [
    "python3-werkzeug",
    "python3-jinja2",
    "python3-itsdangerous",
    "python3-click",
    "python3-dotenv", // flask-5063's tests load .env files
  ],
  "psf/requests": ["python3-urllib3", "python3-idna", "python3-chardet", "python3-certifi"],
};

/**
 * A C and C++ compiler, the Python headers and `venv` with ensurepip, in every environment: spec
 * environments (`--spec-env --backend isolated`) are made inside the root (with `python -m venv`
 * where uv is absent) and build compiled repositories (astropy, scikit-learn, matplotlib) and
 * dependencies without a wheel for the old Python there. `libc6-dev` is only a recommendation of
 * gcc's, which debootstrap does not follow.
 */
export const BUILD_PACKAGES = ["gcc", "g++", "make", "libc6-dev", "python3-dev", "python3-venv"];

/**
 * The Debian archive this machine's apt already reaches (its sources, one-line or deb822), so a
 * build behind a proxy or a local mirror uses the same one; Debian's CDN otherwise.
 */
export function defaultDebianMirror(sourcesDir = "/etc/apt"): string {
  const files = [join(sourcesDir, "sources.list")];
  const listDir = join(sourcesDir, "sources.list.d");
  if (existsSync(listDir)) files.push(...readdirSync(listDir).map((name) => join(listDir, name)));
  for (const file of files) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, "utf8").split("\n")) {
      const url = /^\s*(?:deb\s+(?:\[[^\]]*\]\s+)?|URIs:\s*)(\S+)/.exec(line)?.[1];
      if (url && /\/debian\/?$/.test(url)) return url.replace(/\/$/, "");
    }
  }
  return "http://deb.debian.org/debian";
}

/** What an environment holds; its digest goes into every fingerprint. */
export interface EnvironmentRecord {
  name: string;
  /** Debian release (e.g. bullseye). */
  release: string;
  /** `Python 3.9.2` as the environment's interpreter reports it. */
  python_version: string;
  /** Installed Debian packages as `name=version`, sorted. */
  packages: string[];
  /** sha256 of release + package list (hex). */
  digest: string;
  /** ISO time of creation. */
  created_at: string;
}

export const environmentsDir = (cacheDir: string) => join(cacheDir, "environments");

/** The release whose Python is closest to the requested one (ties go to the newer release). */
export function releaseForPython(python: string): { release: string; python: string } {
  const [major = 3, minor = 0] = python.split(".").map(Number);
  const distance = (candidate: string) => {
    const [candidateMajor = 3, candidateMinor = 0] = candidate.split(".").map(Number);
    return Math.abs((candidateMajor - major) * 100 + candidateMinor - minor);
  };
  return [...DEBIAN_RELEASES].sort((left, right) => distance(left.python) - distance(right.python))[0] as {
    release: string;
    python: string;
  };
}

/** The name swegate gives an environment it creates on first need for a Python version. */
export const defaultEnvironmentName = (python: string) => `debian-${releaseForPython(python).release}`;

/** Reads an environment's record, or undefined when it does not exist (or is half built). */
export function readEnvironment(
  cacheDir: string,
  name: string,
): (EnvironmentRecord & { root: string }) | undefined {
  const dir = join(environmentsDir(cacheDir), name);
  const file = join(dir, "environment.json");
  if (!existsSync(file) || !existsSync(join(dir, "root"))) return undefined;
  return { ...(JSON.parse(readFileSync(file, "utf8")) as EnvironmentRecord), root: join(dir, "root") };
}

export function listEnvironments(cacheDir: string): EnvironmentRecord[] {
  const dir = environmentsDir(cacheDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => readEnvironment(cacheDir, name))
    .filter((record): record is EnvironmentRecord & { root: string } => record !== undefined);
}

export function removeEnvironment(cacheDir: string, name: string): void {
  const dir = join(environmentsDir(cacheDir), name);
  if (!existsSync(dir)) throw new UserError(`no environment ${name}`, { hint: "see swegate env list" });
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Builds a Debian root filesystem with debootstrap (minbase + python3, pytest, git, a compiler and
 * the Python headers, and the repositories' packages), then records what it holds. Built beside its final place and renamed,
 * so an interrupted build is never used.
 */
export async function createEnvironment(options: {
  cacheDir: string;
  name: string;
  python: string;
  release?: string;
  mirror?: string;
  packages?: string[];
  onProgress?: (line: string) => void;
}): Promise<EnvironmentRecord & { root: string }> {
  const release = options.release ?? releaseForPython(options.python).release;
  const dir = join(environmentsDir(options.cacheDir), options.name);
  if (readEnvironment(options.cacheDir, options.name))
    throw new UserError(`environment ${options.name} exists`, { hint: "swegate env remove it first" });
  mkdirSync(dir, { recursive: true });
  const partial = join(dir, "root.partial");
  rmSync(partial, { recursive: true, force: true });
  const packages = [
    ...new Set([
      "python3",
      "python3-pytest",
      "git",
      ...BUILD_PACKAGES,
      ...(options.packages ?? Object.values(REPOSITORY_PACKAGES).flat()),
    ]),
  ];
  const mirror = options.mirror ?? defaultDebianMirror();
  const absent = await releaseMissingFrom(mirror, release);
  if (absent !== undefined) {
    rmSync(dir, { recursive: true, force: true });
    throw new EnvironmentError(`Debian ${release} is not in ${mirror} (${absent})`, {
      where: `env create ${options.name}`,
      hint: `Debian drops old releases from its main archive: use an archive that has it (e.g. ${OLD_RELEASES_ARCHIVE}) or another release`,
    });
  }
  options.onProgress?.(
    `debootstrap ${release} with ${packages.length} packages from ${mirror} (several minutes)`,
  );
  const failure = await runDebootstrap(
    ["--variant=minbase", `--include=${packages.join(",")}`, release, partial, mirror],
    options.onProgress,
  );
  if (failure !== undefined) {
    rmSync(partial, { recursive: true, force: true });
    throw new EnvironmentError(`cannot build the ${release} environment from ${mirror}: ${failure}`, {
      where: `env create ${options.name}`,
      hint: buildHint(failure),
    });
  }
  renameSync(partial, join(dir, "root"));
  const root = join(dir, "root");
  const version = await run("chroot", [root, "python3", "--version"]).then(
    (result) => (result.stdout || result.stderr).trim(),
    () => "unknown",
  );
  const listed = await run("chroot", [
    root,
    "dpkg-query",
    "-W",
    "-f",
    `$${"{Package}"}=$${"{Version}"}\\n`,
  ]).then(
    (result) => result.stdout,
    () => "",
  );
  const installed = listed.trim().split("\n").filter(Boolean).sort();
  const record: EnvironmentRecord = {
    name: options.name,
    release,
    python_version: version,
    packages: installed,
    digest: createHash("sha256")
      .update(JSON.stringify([release, installed]))
      .digest("hex"),
    created_at: new Date().toISOString(),
  };
  writeFileSync(join(dir, "environment.json"), `${JSON.stringify(record, null, 2)}\n`);
  return { ...record, root };
}

/**
 * Runs debootstrap and returns why it failed (its own last `E:` line, else its last output line),
 * or undefined when it succeeded: a failed build names the archive's or debootstrap's reason.
 */
async function runDebootstrap(
  args: string[],
  onProgress?: (line: string) => void,
): Promise<string | undefined> {
  const child = spawn("debootstrap", args, { stdio: ["ignore", "pipe", "pipe"] });
  const tail: string[] = [];
  const keep = (chunk: Buffer, progress: boolean) => {
    for (const line of chunk.toString().split("\n")) {
      if (!line.trim()) continue;
      tail.push(line.trim());
      if (tail.length > 40) tail.shift();
      if (progress && /^I: (Retrieving|Installing|Configuring|Base system)/.test(line))
        onProgress?.(line.slice(3));
    }
  };
  child.stdout.on("data", (chunk: Buffer) => keep(chunk, true));
  child.stderr.on("data", (chunk: Buffer) => keep(chunk, false));
  return new Promise((resolve) => {
    child.on("error", (error: NodeJS.ErrnoException) =>
      resolve(error.code === "ENOENT" ? "debootstrap is not installed" : error.message),
    );
    child.on("close", (code, signal) => {
      if (code === 0) return resolve(undefined);
      const reason = [...tail].reverse().find((line) => line.startsWith("E: ")) ?? tail.at(-1);
      resolve(`${reason ? reason.replace(/^E: /, "") : "no output"} (debootstrap exited ${code ?? signal})`);
    });
  });
}

/** What to do about a failed build, from debootstrap's reason. */
function buildHint(reason: string): string {
  if (/not installed/.test(reason)) return "apt-get install debootstrap";
  if (/root/i.test(reason)) return "debootstrap needs root";
  return "check the archive, or name another with --debian-mirror URL";
}
