import { execFileSync } from "node:child_process";
import type { Instance } from "../dataset/instance.js";
import { UserError } from "../errors.js";
import type { Backend } from "../exec/backend.js";
import { createIsolatedBackend } from "../exec/isolated-backend.js";
import { OLD_RELEASES_ARCHIVE, releaseMissingFrom } from "./debian-archive.js";
import {
  createEnvironment,
  DEBIAN_RELEASES,
  type EnvironmentRecord,
  readEnvironment,
} from "./debian-environments.js";
import { createSpecPythonLabeller, minorVersion, specPython } from "./spec-python.js";
import { createUnavailableBackend } from "./unavailable-backend.js";

/** Where an instance can run: the host system (sandboxed) or a Debian release. */
interface Candidate {
  /** Debian release, or undefined for the host's own system. */
  release?: string;
  /** Its Python, `3.9`. */
  python: string;
}

const distance = (left: string, right: string) => {
  const [leftMajor = 3, leftMinor = 0] = left.split(".").map(Number);
  const [rightMajor = 3, rightMinor = 0] = right.split(".").map(Number);
  return Math.abs((leftMajor - rightMajor) * 100 + leftMinor - rightMinor);
};

/**
 * Where an instance asking for `wanted` may run, nearest Python first (ties go to the newer, or the
 * older with `olderOnTies`): the host system, and every Debian release whose Python differs from the
 * host's (the host is as near and needs no build).
 */
export function candidatesFor(wanted: string, hostPython: string, olderOnTies = false): Candidate[] {
  const releases = DEBIAN_RELEASES.filter((entry) => entry.python !== hostPython);
  const newer = (left: Candidate, right: Candidate) =>
    distance(right.python, "0.0") - distance(left.python, "0.0");
  return [{ python: hostPython }, ...releases].sort(
    (left, right) =>
      distance(left.python, wanted) - distance(right.python, wanted) ||
      (olderOnTies ? -newer(left, right) : newer(left, right)),
  );
}

/** `3.11` for the host's `python3` (SWEGATE_HOST_PYTHON overrides it). */
export function hostPythonVersion(): string {
  if (process.env.SWEGATE_HOST_PYTHON) return process.env.SWEGATE_HOST_PYTHON;
  try {
    return minorVersion(execFileSync("python3", ["--version"], { encoding: "utf8" })) ?? "3.11";
  } catch {
    return "3.11";
  }
}

/**
 * `--backend isolated` with no `--env`: each instance runs in the environment whose Python is
 * nearest its spec's among those that can be had — the host system, an environment already built,
 * or a Debian release the archive serves (built with debootstrap on first need, then cached). A
 * release the archive lacks is skipped with one warning; an environment whose build fails leaves
 * its instances env_broken (environment_unavailable) with debootstrap's reason, and stops nothing.
 */
export function createEnvironmentResolver(
  options: EnvironmentChooserOptions,
): (instance: Instance) => Backend {
  const host = createIsolatedBackend({});
  const choose = createEnvironmentChooser(options);
  const label = createSpecPythonLabeller();
  const backends = new Map<string, Backend>();
  const chosen = new Map<string, Backend>();

  const backendFor = async (wanted: string): Promise<Backend> => {
    const choice = await choose(wanted);
    if (!choice.ok) return createUnavailableBackend("isolated", choice.name, choice.reason);
    if (!choice.record) return host;
    let backend = backends.get(choice.name);
    if (!backend) {
      backend = createIsolatedBackend({ root: choice.record.root, environment: choice.record });
      backends.set(choice.name, backend);
    }
    return backend;
  };

  return (instance) => {
    const wanted = minorVersion(specPython(instance));
    if (!wanted) return host;
    let backend = chosen.get(wanted);
    if (!backend) {
      backend = label(
        lazyIsolated(() => backendFor(wanted)),
        wanted,
      );
      chosen.set(wanted, backend);
    }
    return backend;
  };
}

export interface EnvironmentChooserOptions {
  cacheDir: string;
  mirror: string;
  /** Prints one warning line. */
  warn: (line: string) => void;
  /** Prints one progress line of a build. */
  progress: (line: string) => void;
  /**
   * Of two Pythons equally near the wanted one, take the older: a spec environment's pins predate
   * the newer (xarray 0.12 wants 3.10; its `numpy==1.23.0` has wheels for 3.9, none for 3.11).
   */
  olderOnTies?: boolean;
}

/**
 * Where a Python version runs under `--backend isolated`: the host's system (no `record`) or a Debian
 * environment (its record, built on first need), or the environment that cannot be had and why.
 */
export type EnvironmentChoice =
  | { ok: true; name: string; python: string; record?: EnvironmentRecord & { root: string } }
  | { ok: false; name: string; reason: string };

/**
 * The environment nearest a wanted Python (`3.9`) among the host system, the environments already
 * built and the Debian releases the archive serves; each release is probed, warned about and built
 * once however many instances (or spec environments) ask.
 */
export function createEnvironmentChooser(
  options: EnvironmentChooserOptions,
): (wanted: string) => Promise<EnvironmentChoice> {
  const hostPython = hostPythonVersion();
  const missing = new Map<string, Promise<string | undefined>>();
  const built = new Map<string, Promise<EnvironmentChoice>>();

  const missingFromArchive = (release: string, python: string) => {
    let probe = missing.get(release);
    if (!probe) {
      probe = releaseMissingFrom(options.mirror, release).then((why) => {
        if (why)
          options.warn(
            `Debian ${release} (Python ${python}) is not in ${options.mirror} (${why}): its instances use the next nearest environment; for ${release} itself pass --debian-mirror with an archive that has it (e.g. ${OLD_RELEASES_ARCHIVE})`,
          );
        return why;
      });
      missing.set(release, probe);
    }
    return probe;
  };

  const environment = (release: string, python: string): Promise<EnvironmentChoice> => {
    const name = `debian-${release}`;
    let choice = built.get(name);
    if (!choice) {
      choice = (async (): Promise<EnvironmentChoice> => {
        try {
          const record =
            readEnvironment(options.cacheDir, name) ??
            (await createEnvironment({
              cacheDir: options.cacheDir,
              name,
              python,
              release,
              mirror: options.mirror,
              onProgress: (line) => options.progress(`env ${name}: ${line}`),
            }));
          return { ok: true, name, python, record };
        } catch (error) {
          if (!(error instanceof UserError)) throw error;
          options.warn(`environment ${name} cannot be had: ${error.message}; its instances are env_broken`);
          return { ok: false, name, reason: error.message };
        }
      })();
      built.set(name, choice);
    }
    return choice;
  };

  const firstUsable = async (wanted: string): Promise<Candidate> => {
    for (const candidate of candidatesFor(wanted, hostPython, options.olderOnTies)) {
      if (!candidate.release || readEnvironment(options.cacheDir, `debian-${candidate.release}`))
        return candidate;
      if (!(await missingFromArchive(candidate.release, candidate.python))) return candidate;
    }
    return { python: hostPython };
  };

  return async (wanted) => {
    const usable = await firstUsable(wanted);
    return usable.release
      ? environment(usable.release, usable.python)
      : { ok: true, name: "host", python: hostPython };
  };
}

/** An isolated backend known only after an async choice (and perhaps a build), made once. */
function lazyIsolated(make: () => Promise<Backend>): Backend {
  let made: Promise<Backend> | undefined;
  const get = () => {
    made ??= make();
    return made;
  };
  return {
    name: "isolated",
    // Every isolated backend collects evidence; an unavailable one runs nothing to collect.
    collectsEvidence: true,
    run: async (script, runOptions) => (await get()).run(script, runOptions),
    describe: async (describeOptions) => (await get()).describe(describeOptions),
  };
}
