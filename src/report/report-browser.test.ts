import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/test-support/run-cli.js";
import { openStore } from "../store/open-store.js";
import { CHART_IDS } from "./render-report.js";

const chromium = "/usr/bin/chromium";
const scratch = mkdtempSync(join(tmpdir(), "swegate-report-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe("report.html in a real browser", () => {
  it.skipIf(!existsSync(chromium))(
    "renders every chart with no console error and no network request (needs Debian's chromium)",
    async () => {
      const store = join(scratch, "store");
      const run = runCli(["run", "--json", "--cache-dir", join(scratch, "cache"), "--store", store]);
      expect(run.code, run.stderr).toBe(0);
      const opened = openStore(store);
      const runId = opened.listRuns()[0]?.run_id as string;
      opened.close();
      const report = runCli(["report", runId, "--store", store, "--json"]);
      expect(report.code, report.stderr).toBe(0);
      const html = JSON.parse(report.stdout).files.html as string;

      const { chromium: launcher } = await import("playwright-core");
      const browser = await launcher.launch({
        executablePath: chromium,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--no-first-run",
        ],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
        const errors: string[] = [];
        const requests: string[] = [];
        page.on("console", (message) => {
          if (message.type() === "error") errors.push(message.text());
        });
        page.on("pageerror", (error) => errors.push(error.message));
        page.on("request", (request) => requests.push(request.url()));
        const url = pathToFileURL(html).href;
        await page.goto(url);
        for (const id of CHART_IDS) {
          const marks = await page
            .locator(`#chart-${id} svg .marks, #chart-${id} svg g.mark-rect, #chart-${id} svg path`)
            .count();
          expect(marks, id).toBeGreaterThan(0);
        }
        expect(await page.textContent("body")).toContain("NOT comparable with the SWE-bench leaderboard");
        expect(errors).toEqual([]);
        expect(requests.every((request) => request.startsWith("file:"))).toBe(true);
        mkdirSync("test-artifacts", { recursive: true });
        await page.screenshot({ path: join("test-artifacts", "report.png"), fullPage: true });
      } finally {
        await browser.close();
      }
    },
  );

  it("puts two runs side by side with --compare and names the instances whose verdict changed", () => {
    const store = join(scratch, "compare-store");
    const common = [
      "--json",
      "--cache-dir",
      join(scratch, "cache"),
      "--store",
      store,
      "--instances",
      "swegate-demo__calculator-2",
    ];
    expect(runCli(["run", "--run-id", "one-attempt", "--max-attempts", "1", ...common]).code).toBe(0);
    expect(runCli(["run", "--run-id", "two-attempts", ...common]).code).toBe(0);
    const report = runCli(["report", "one-attempt", "--compare", "two-attempts", "--store", store, "--json"]);
    expect(report.code, report.stderr).toBe(0);
    const written = JSON.parse(readFileSync(JSON.parse(report.stdout).files.json, "utf8"));
    expect(written.comparison.changed).toEqual([
      { instance_id: "swegate-demo__calculator-2", from: "failed", to: "verified" },
    ]);
    expect(readFileSync(JSON.parse(report.stdout).files.markdown, "utf8")).toContain(
      "## Compared with two-attempts",
    );
  });

  it("escapes hostile text from model answers", async () => {
    const { renderHtml } = await import("./render-report.js");
    const { buildRunReport } = await import("./build-run-report.js");
    const run = {
      run_id: "r",
      created_at: "",
      updated_at: "",
      status: "completed" as const,
      model: "m",
      mode: "blind" as const,
      dataset_source: "d",
      dataset_digest: "x",
      selection: ["a"],
      config: {},
      swegate_version: "0",
    };
    const result = {
      instance_id: "a",
      repo: "o/n",
      status: "failed" as const,
      verified: false,
      patch: "<script>alert(1)</script>",
      certificate: null,
      red_gate_message: "",
      green_gate_message: "",
      error: null,
      attempts_made: 1,
      feedback_history: [],
      feedback_mode: "blind" as const,
      model: "m",
      tokens: { input: 0, output: 0, cache_read: 0, cache_write: 0 },
      cost_usd: 0,
      duration_ms: 0,
      finished_at: "",
      red_gate: null,
      green_gate: null,
      environment: null,
      reason: "<img src=x onerror=alert(1)>",
    };
    const html = await renderHtml(buildRunReport(run, [result], () => []));
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("<img src=x");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });
});
