import type { Store } from "../../store/open-store.js";

/** Records a running oracle run of one demo instance, as `run` would before processing it. */
export function createDemoRun(store: Store, runId: string, instanceId: string, model: string): void {
  const now = new Date().toISOString();
  store.createRun({
    run_id: runId,
    created_at: now,
    updated_at: now,
    status: "running",
    model,
    mode: "oracle",
    dataset_source: "demo",
    dataset_digest: "demo",
    selection: [instanceId],
    config: {},
    swegate_version: "test",
  });
}
