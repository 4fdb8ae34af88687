import type { Instance } from "../dataset/instance.js";
import type { Backend, RunOptions } from "./backend.js";

/**
 * A backend (or a per-instance backend chooser) with `signal` added to every run, one wrapper per
 * backend so what is cached per backend (its environment description) stays cached.
 */
export function withSignal(
  backend: Backend | ((instance: Instance) => Backend),
  signal: AbortSignal | undefined,
): (instance: Instance) => Backend {
  const resolve = typeof backend === "function" ? backend : () => backend;
  if (!signal) return resolve;
  const wrapped = new WeakMap<Backend, Backend>();
  return (instance) => {
    const inner = resolve(instance);
    let outer = wrapped.get(inner);
    if (!outer) {
      outer = Object.assign(Object.create(inner) as Backend, {
        run: (script: string, runOptions: RunOptions) => inner.run(script, { ...runOptions, signal }),
      });
      wrapped.set(inner, outer);
    }
    return outer;
  };
}
