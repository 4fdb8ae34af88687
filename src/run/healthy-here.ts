import type { Instance } from "../dataset/instance.js";
import { environmentLabel } from "../environments/spec-python.js";
import type { Backend, EnvironmentDescription } from "../exec/backend.js";
import { environmentFingerprint } from "../grading/environment-fingerprint.js";
import type { HealthRecord } from "../store/records.js";

/** The registry's verdicts sorted by where the instances would run now. */
export interface HealthHere {
  /** Healthy in the very environment (same fingerprint) each would run in now. */
  healthy: Instance[];
  /** Healthy only in another environment: where (`environmentLabel`), so the user can validate here. */
  elsewhere: { instance: Instance; environment: string }[];
}

/**
 * Which instances the health registry knows healthy in the environment each would run in now: a
 * verdict reached with Python 3.9 in bullseye says nothing of the host's 3.11 (the fingerprint holds
 * backend, interpreter version and image digest). For `--healthy-only`.
 */
export async function healthyHere(options: {
  rows: HealthRecord[];
  instances: Instance[];
  backendFor: (instance: Instance) => Backend;
  /** A folder the backends may describe themselves in (any existing one). */
  cwd: string;
}): Promise<HealthHere> {
  const descriptions = new Map<Backend, Promise<EnvironmentDescription>>();
  const result: HealthHere = { healthy: [], elsewhere: [] };
  for (const instance of options.instances) {
    const rows = options.rows.filter((row) => row.instance_id === instance.instance_id && row.healthy);
    if (rows.length === 0) continue;
    const backend = options.backendFor(instance);
    const described = descriptions.get(backend) ?? backend.describe({ cwd: options.cwd });
    descriptions.set(backend, described);
    const fingerprint = environmentFingerprint(await described, instance);
    if (rows.some((row) => row.fingerprint === fingerprint)) result.healthy.push(instance);
    else
      result.elsewhere.push({
        instance,
        environment: environmentLabel((rows[0] as HealthRecord).environment),
      });
  }
  return result;
}
