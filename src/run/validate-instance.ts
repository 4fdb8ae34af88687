import type { Instance } from "../dataset/instance.js";
import type { Backend } from "../exec/backend.js";
import { environmentFingerprint } from "../grading/environment-fingerprint.js";
import { runGreenGate } from "../grading/green-gate.js";
import { runRedGate } from "../grading/red-gate.js";
import type { HealthRecord } from "../store/records.js";
import { createWorkspace } from "../workspace/create-workspace.js";
import type { RepoCache } from "../workspace/repo-cache.js";

/** One instance's gold-patch validation: the health verdict and the gates' own words. */
export interface Validation {
  /** The health registry row it makes. */
  record: HealthRecord;
  /** The red gate's message. */
  red_message: string;
  /** The red gate's warnings (FAIL_TO_PASS tests already passing). */
  red_warnings: string[];
  /** The gold patch's green gate message, or null when the red gate did not reproduce the bug. */
  green_message: string | null;
}

/**
 * The red gate in a fresh checkout, then, when it reproduced the bug, the green gate with the gold
 * patch: the health verdict of the instance in this backend's environment (`swegate validate`, here
 * or on a queue's worker). Undefined when `signal` stopped it: a gate cut short is no verdict.
 */
export async function validateInstance(options: {
  instance: Instance;
  backend: Backend;
  cache: RepoCache;
  timeoutSeconds: number;
  signal?: AbortSignal;
}): Promise<Validation | undefined> {
  const { instance, backend, timeoutSeconds } = options;
  const started = Date.now();
  const workspace = await createWorkspace(options.cache, {
    repo: instance.repo,
    baseCommit: instance.base_commit,
  });
  try {
    const environment = await backend.describe({ cwd: workspace.dir });
    const red = await runRedGate({
      instance,
      dir: workspace.dir,
      backend,
      timeoutSeconds,
      clean: true, // a fresh workspace
    });
    // A provisional collection error is settled by the gold patch, like every reproduced one.
    const green =
      red.verdict === "reproduced"
        ? await runGreenGate({
            instance,
            dir: workspace.dir,
            patch: instance.patch,
            backend,
            timeoutSeconds,
          })
        : undefined;
    // A gate cut short by Ctrl-C is no verdict: recording it would mark a healthy instance broken.
    if (options.signal?.aborted) return undefined;
    const record: HealthRecord = {
      instance_id: instance.instance_id,
      fingerprint: environmentFingerprint(environment, instance),
      healthy: red.verdict === "reproduced" && green?.resolved === true,
      red_verdict: red.provisional && !green?.resolved ? "env_broken" : red.verdict,
      red_reason: red.provisional && !green?.resolved ? "import_error" : red.reason,
      red_evidence: red.evidence,
      green_resolved: green ? green.resolved : null,
      environment,
      checked_at: new Date().toISOString(),
      duration_ms: Date.now() - started,
    };
    return {
      record,
      red_message: red.message,
      red_warnings: red.warnings,
      green_message: green ? green.message : null,
    };
  } finally {
    await workspace.dispose();
  }
}
