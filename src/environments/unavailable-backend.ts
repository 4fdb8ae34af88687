import type { Backend, CommandResult } from "../exec/backend.js";

/**
 * The line a backend whose environment cannot be had (a Debian release its archive lacks, a failed
 * build) prints instead of running anything: the gates then record the instance as env_broken with
 * the reason, like any environment that cannot run the tests, and the other instances go on.
 */
export const ENVIRONMENT_UNAVAILABLE_MARKER = "swegate: environment unavailable:";

/**
 * A backend for an environment that cannot be had: every command "fails" at once with the reason as
 * its output, so the gates record its instances as env_broken (environment_unavailable) — a value,
 * not an exception — and every other instance of the command goes on.
 */
export function createUnavailableBackend(name: string, environment: string, reason: string): Backend {
  const result: CommandResult = {
    exitCode: 1,
    output: `${ENVIRONMENT_UNAVAILABLE_MARKER} ${environment}: ${reason}\n`,
    durationMs: 0,
    timedOut: false,
    truncatedBytes: 0,
  };
  return {
    name,
    run: async () => result,
    describe: async () => ({
      backend: name,
      python: "",
      pythonVersion: "unavailable",
      details: { root: environment, unavailable: reason },
    }),
  };
}
