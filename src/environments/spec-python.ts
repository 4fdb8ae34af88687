import type { Instance } from "../dataset/instance.js";
import type { Backend, EnvironmentDescription } from "../exec/backend.js";
import { specFor } from "../specs/spec-for.js";

/** `3.9` from `3.9`, `Python 3.9.2` or `3.9.2`; undefined when no version is in it. */
export function minorVersion(text: string | undefined): string | undefined {
  return /(\d+)\.(\d+)/
    .exec(text ?? "")
    ?.slice(1, 3)
    .join(".");
}

/** The Python the harness's image uses for the instance (its spec), if the spec names one. */
export const specPython = (instance: Pick<Instance, "repo" | "version" | "extra">) =>
  specFor(instance).python;

/**
 * The backend with the spec's Python added to what `describe` reports (`details.spec_python`), so
 * every result that records its environment records both interpreters. One wrapper per backend and
 * version, so what is cached per backend stays cached.
 */
export function createSpecPythonLabeller(): (backend: Backend, python: string | undefined) => Backend {
  const made = new WeakMap<Backend, Map<string, Backend>>();
  return (backend, python) => {
    if (!python) return backend;
    const byPython = made.get(backend) ?? new Map<string, Backend>();
    made.set(backend, byPython);
    let labelled = byPython.get(python);
    if (!labelled) {
      labelled = Object.assign(Object.create(backend) as Backend, {
        describe: async (options: { cwd: string; python?: string }) => {
          const described = await backend.describe(options);
          return { ...described, details: { ...described.details, spec_python: python } };
        },
      });
      byPython.set(python, labelled);
    }
    return labelled;
  };
}

/** One line naming where a verdict was reached: `isolated debian-bullseye, Python 3.9.2 (spec 3.9)`. */
export function environmentLabel(environment: EnvironmentDescription): string {
  const root = environment.details?.root;
  const where =
    root && !root.startsWith("host") ? ` ${root}` : environment.backend === "docker" ? "" : " host system";
  const spec = environment.details?.spec_python;
  return `${environment.backend}${where}, ${environment.pythonVersion}${spec ? ` (spec ${spec})` : ""}`;
}
