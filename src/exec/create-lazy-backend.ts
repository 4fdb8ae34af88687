import type { Backend } from "./backend.js";

/** A backend made on first use (e.g. after building its environment), once, however many callers wait. */
export function createLazyBackend(name: string, make: () => Promise<Backend>): Backend {
  let made: Promise<Backend> | undefined;
  const get = () => {
    made ??= make();
    return made;
  };
  return {
    name,
    run: async (script, options) => (await get()).run(script, options),
    describe: async (options) => (await get()).describe(options),
  };
}
