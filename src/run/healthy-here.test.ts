import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Instance } from "../dataset/instance.js";
import { createHostBackend } from "../exec/host-backend.js";
import { environmentFingerprint } from "../grading/environment-fingerprint.js";
import type { HealthRecord } from "../store/records.js";
import { healthyHere } from "./healthy-here.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-healthy-here-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

const instance = (id: string): Instance =>
  ({ instance_id: id, repo: "sympy/sympy", version: "1.1", extra: {} }) as unknown as Instance;

describe("healthy in the environment an instance would run in now", () => {
  it("does not reuse a verdict reached with another interpreter", async () => {
    const backend = createHostBackend();
    const here = await backend.describe({ cwd: scratch });
    const bullseye = {
      backend: "isolated",
      python: "/usr/bin/python3",
      pythonVersion: "Python 3.9.2",
      details: { root: "debian-bullseye", spec_python: "3.9" },
    };
    const row = (id: string, environment: typeof here, healthy = true): HealthRecord => ({
      instance_id: id,
      fingerprint: environmentFingerprint(environment, instance(id)),
      healthy,
      red_verdict: healthy ? "reproduced" : "env_broken",
      red_reason: null,
      red_evidence: [],
      green_resolved: healthy,
      environment,
      checked_at: "",
      duration_ms: 0,
    });
    const result = await healthyHere({
      rows: [row("a", here), row("b", bullseye), row("c", here, false)],
      instances: ["a", "b", "c", "d"].map(instance),
      backendFor: () => backend,
      cwd: scratch,
    });
    expect(result.healthy.map((item) => item.instance_id)).toEqual(["a"]);
    expect(result.elsewhere.map((item) => [item.instance.instance_id, item.environment])).toEqual([
      ["b", "isolated debian-bullseye, Python 3.9.2 (spec 3.9)"],
    ]);
  });
});
