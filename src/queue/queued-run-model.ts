import type { Model } from "../model/model.js";

/**
 * The model as a queued run's coordinator holds it: its id, for the run's record. The coordinator
 * never calls it (the workers call the model with their own keys), so it needs no key; a call would
 * be a bug and fails as infrastructure.
 */
export function queuedRunModel(spec: string): Model {
  return {
    id: spec,
    scripted: spec === "demo" || spec === "oracle" || spec.startsWith("replay:"),
    complete: async () => ({
      ok: false,
      kind: "infra",
      message: "a queued run's coordinator does not call the model: its workers do",
      retries: 0,
      durationMs: 0,
    }),
  };
}
