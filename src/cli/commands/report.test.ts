import { existsSync, mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "../../store/open-store.js";
import { runCli } from "../test-support/run-cli.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-report-cli-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe("swegate report", () => {
  it("does not write through a run id recorded before ids were checked, unless --out is given", () => {
    const storeDir = join(scratch, "deep", "store");
    const store = openStore(storeDir);
    const runId = "../../../escaped";
    store.createRun({
      run_id: runId,
      created_at: "2026-01-01T00:00:00Z",
      updated_at: "2026-01-01T00:00:00Z",
      status: "completed",
      model: "demo",
      mode: "oracle",
      dataset_source: "demo",
      dataset_digest: "0".repeat(64),
      selection: [],
      config: {},
      swegate_version: "0.0.0",
    });
    store.close();
    const refused = runCli(["report", runId, "--store", storeDir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    expect(refused.stderr).toContain(`report ${runId}: run id "${runId}" contains a path separator`);
    expect(refused.stderr).toContain("pass --out DIR");
    // <store>/runs/../../../escaped/report is beside the store's parent.
    expect(existsSync(join(scratch, "escaped"))).toBe(false);

    const out = join(scratch, "report-out");
    const written = runCli(["report", runId, "--store", storeDir, "--out", out]);
    expect(written.code, written.stderr).toBe(0);
    expect(existsSync(join(out, "report.json"))).toBe(true);
  });
});
