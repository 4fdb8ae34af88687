import { ranOn } from "../store/ran-on.js";
import type { InstanceResult } from "../store/records.js";
import { effectiveRunStatus } from "../store/run-owner.js";
import type { RunReport } from "./build-run-report.js";
import { renderBarChart } from "./render-chart.js";

const escapeHtml = (text: string) =>
  text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
const entries = (record: Record<string, number>) =>
  Object.entries(record).map(([label, value]) => ({ label, value }));

/** Markdown summary: headline numbers and tables. */
export function renderMarkdown(report: RunReport): string {
  const { run, funnel, verified_rate: rate } = report;
  const lines = [
    `# swegate run ${run.run_id}`,
    "",
    `Model **${run.model}** · feedback mode **${run.mode}** · dataset \`${run.dataset_source}\` · ${effectiveRunStatus(run)}`,
    "",
    ...(report.leaderboard_warning ? [`> **${report.leaderboard_warning}**`, ""] : []),
    `**Verified ${funnel.verified}/${funnel.healthy} healthy instances (${percent(rate.rate)}, 95% CI ${percent(rate.low)}–${percent(rate.high)})** — selected ${funnel.selected}, finished ${funnel.finished}.`,
    "",
    "| status | instances |",
    "| --- | --- |",
    ...Object.entries(report.by_status).map(([status, count]) => `| ${status} | ${count} |`),
    "",
    "| attempt | verified | cumulative rate |",
    "| --- | --- | --- |",
    ...report.verified_on_attempt.map(
      (row) => `| ${row.attempt} | ${row.count} | ${percent(row.cumulative_rate)} |`,
    ),
    "",
    ...(report.suspicious.length > 0
      ? [
          `**${report.suspicious.length} suspicious** (never verified, never certified: the log's passes are not backed by the evidence, or the patch tampers with the test run):`,
          "",
          ...report.suspicious.map((entry) => `- ${entry.instance_id}: ${entry.reasons.join("; ")}`),
          "",
        ]
      : []),
    `Cost: $${report.cost.total_usd.toFixed(4)}${report.cost.unknown_instances ? ` (+${report.cost.unknown_instances} instance(s) of unknown price)` : ""}, tokens in ${report.cost.tokens_in}, out ${report.cost.tokens_out}${report.cost.tokens_reasoning ? ` (${report.cost.tokens_reasoning} thinking)` : ""}.`,
    "",
    "| instance | status | attempts | reason |",
    "| --- | --- | --- | --- |",
    ...report.instances.map(
      (instance) =>
        `| ${instance.instance_id} | ${instance.status} | ${instance.attempts_made} | ${instance.reason ?? ""}${machineNote(instance)} |`,
    ),
    "",
  ];
  return lines.join("\n");
}

/** The chart ids every report page carries (the browser test checks each one rendered). */
export const CHART_IDS = [
  "funnel",
  "by-repo",
  "by-attempt",
  "failure-classes",
  "env-broken",
  "cost",
] as const;

/** A self-contained HTML page: inline SVG charts, no script, no network. */
export async function renderHtml(report: RunReport): Promise<string> {
  const { run, funnel, verified_rate: rate } = report;
  const charts: Record<(typeof CHART_IDS)[number], string> = {
    funnel: await renderBarChart({
      title: "Funnel",
      data: [
        { label: "selected", value: funnel.selected },
        { label: "finished", value: funnel.finished },
        { label: "healthy", value: funnel.healthy },
        { label: "verified", value: funnel.verified },
      ],
    }),
    "by-repo": await renderBarChart({
      title: "Verified by repository",
      data: Object.entries(report.by_repo).flatMap(([repo, entry]) => [
        { label: repo, value: entry.verified, group: "verified" },
        { label: repo, value: entry.healthy - entry.verified, group: "not verified" },
      ]),
    }),
    "by-attempt": await renderBarChart({
      title: "Cumulative verified rate by attempt (does feedback help?)",
      line: true,
      xTitle: "attempt",
      data: report.verified_on_attempt.map((row) => ({
        label: String(row.attempt),
        value: Number(row.cumulative_rate.toFixed(3)),
      })),
    }),
    "failure-classes": await renderBarChart({
      title: "Attempt outcomes",
      data: entries(report.failure_classes),
    }),
    "env-broken": await renderBarChart({
      title: "Env-broken reasons",
      data: entries(report.env_broken_reasons),
    }),
    cost: await renderBarChart({
      title: "Cost per instance (USD)",
      data: report.instances.map((instance) => ({
        label: instance.instance_id.replace(/^.*__/, ""),
        value: instance.cost_usd ?? 0,
      })),
    }),
  };
  const rows = report.instances
    .map((instance) => {
      const attempts = instance.attempts
        .map(
          (attempt) =>
            `<details><summary>attempt ${attempt.attempt_number}: ${escapeHtml(attempt.failure_class ?? "passed")} — ${escapeHtml(attempt.check_result)}</summary>` +
            `<h4>answer</h4><pre>${escapeHtml(attempt.raw_answer)}</pre><h4>edits</h4><pre>${escapeHtml(attempt.apply_result)}</pre>` +
            (attempt.feedback
              ? `<h4>feedback sent next</h4><pre>${escapeHtml(attempt.feedback)}</pre>`
              : "") +
            "</details>",
        )
        .join("");
      return `<tr class="${escapeHtml(instance.status)}"><td>${escapeHtml(instance.instance_id)}</td><td>${escapeHtml(instance.status)}</td><td>${instance.attempts_made}</td><td>${escapeHtml(`${instance.reason ?? ""}${machineNote(instance)}`)}</td><td>${instance.cost_usd === null ? "?" : `$${instance.cost_usd.toFixed(4)}`}</td><td>${attempts}${instance.patch ? `<details><summary>final diff</summary><pre>${escapeHtml(instance.patch)}</pre></details>` : ""}</td></tr>`;
    })
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>swegate run ${escapeHtml(run.run_id)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
:root { color-scheme: light dark; --muted: #6b7280; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; }
h1 { margin-bottom: .2rem; } .muted { color: var(--muted); }
.warning { border-left: 4px solid #d97706; background: rgba(217,119,6,.12); padding: .6rem 1rem; }
.headline { font-size: 1.3rem; margin: 1rem 0; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 1rem; }
figure { margin: 0; border: 1px solid rgba(127,127,127,.3); border-radius: 8px; padding: .5rem; }
table { border-collapse: collapse; width: 100%; margin-top: 1rem; } td, th { border-bottom: 1px solid rgba(127,127,127,.3); padding: .35rem; vertical-align: top; text-align: left; }
tr.verified td:nth-child(2) { color: #16a34a; } tr.failed td:nth-child(2) { color: #dc2626; } tr.env_broken td:nth-child(2) { color: #d97706; } tr.suspicious td:nth-child(2) { color: #9333ea; font-weight: 600; }
pre { white-space: pre-wrap; font-size: 12px; max-height: 400px; overflow: auto; background: rgba(127,127,127,.1); padding: .5rem; }
</style></head><body>
<h1>swegate run ${escapeHtml(run.run_id)}</h1>
<p class="muted">model ${escapeHtml(run.model)} · feedback mode <strong>${escapeHtml(run.mode)}</strong> · dataset ${escapeHtml(run.dataset_source)} · ${escapeHtml(effectiveRunStatus(run))} · swegate ${escapeHtml(run.swegate_version)}</p>
${report.leaderboard_warning ? `<p class="warning">${escapeHtml(report.leaderboard_warning)}</p>` : ""}
<p class="headline">Verified <strong>${funnel.verified}/${funnel.healthy}</strong> healthy instances (${percent(rate.rate)}, 95% CI ${percent(rate.low)}–${percent(rate.high)}) · cost $${report.cost.total_usd.toFixed(4)}</p>
${
  report.suspicious.length > 0
    ? `<section class="warning" id="suspicious"><h2>${report.suspicious.length} suspicious</h2><p>Never verified, never certified: the log's passes are not backed by the evidence, or the patch tampers with the test run.</p><ul>${report.suspicious.map((entry) => `<li><strong>${escapeHtml(entry.instance_id)}</strong>: ${escapeHtml(entry.reasons.join("; "))}</li>`).join("")}</ul></section>`
    : ""
}
<div class="charts">${CHART_IDS.map((id) => `<figure id="chart-${id}">${charts[id]}</figure>`).join("\n")}</div>
<h2>Instances</h2>
<table><thead><tr><th>instance</th><th>status</th><th>attempts</th><th>reason</th><th>cost</th><th>attempts, feedback and diff</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>
`;
}

/** ` (on HOST)` for an instance a queue worker ran, else nothing. */
function machineNote(instance: InstanceResult): string {
  const machine = ranOn(instance);
  return machine ? ` (on ${machine})` : "";
}
