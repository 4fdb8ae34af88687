import type { InstanceResult } from "./records.js";

/**
 * The machine that ran an instance of a queued run (`environment.details.machine`, set when its
 * result came back from a worker); undefined for an instance run by the run's own process.
 */
export function ranOn(result: Pick<InstanceResult, "environment">): string | undefined {
  return result.environment?.details?.machine;
}
