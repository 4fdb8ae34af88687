import type { RunReport } from "./build-run-report.js";

/** Two runs side by side: headline numbers, per repository, and instances whose verdict changed. */
export interface RunComparison {
  runs: [string, string];
  headline: {
    run_id: string;
    model: string;
    mode: string;
    healthy: number;
    verified: number;
    rate: number;
    cost_usd: number;
  }[];
  by_repo: { repo: string; verified: [number, number]; healthy: [number, number] }[];
  /** Instances present in both runs whose status differs. */
  changed: { instance_id: string; from: string; to: string }[];
  /** True when the feedback modes differ: the rates then measure different things. */
  modes_differ: boolean;
}

export function compareRuns(left: RunReport, right: RunReport): RunComparison {
  const headline = [left, right].map((report) => ({
    run_id: report.run.run_id,
    model: report.run.model,
    mode: report.run.mode,
    healthy: report.funnel.healthy,
    verified: report.funnel.verified,
    rate: report.verified_rate.rate,
    cost_usd: report.cost.total_usd,
  }));
  const repos = [...new Set([...Object.keys(left.by_repo), ...Object.keys(right.by_repo)])].sort();
  const rightStatus = new Map(right.instances.map((instance) => [instance.instance_id, instance.status]));
  return {
    runs: [left.run.run_id, right.run.run_id],
    headline,
    by_repo: repos.map((repo) => ({
      repo,
      verified: [left.by_repo[repo]?.verified ?? 0, right.by_repo[repo]?.verified ?? 0],
      healthy: [left.by_repo[repo]?.healthy ?? 0, right.by_repo[repo]?.healthy ?? 0],
    })),
    changed: left.instances
      .filter(
        (instance) =>
          rightStatus.has(instance.instance_id) && rightStatus.get(instance.instance_id) !== instance.status,
      )
      .map((instance) => ({
        instance_id: instance.instance_id,
        from: instance.status,
        to: rightStatus.get(instance.instance_id) as string,
      })),
    modes_differ: left.run.mode !== right.run.mode,
  };
}

const escapeHtml = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

/** Markdown and HTML sections for a comparison (appended to the report of the first run). */
export function renderComparison(comparison: RunComparison): { markdown: string; html: string } {
  const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
  const warning = comparison.modes_differ
    ? "The two runs used different feedback modes: their rates measure different things."
    : "";
  const markdown = [
    `## Compared with ${comparison.runs[1]}`,
    "",
    ...(warning ? [`> ${warning}`, ""] : []),
    "| run | model | mode | verified/healthy | rate | cost |",
    "| --- | --- | --- | --- | --- | --- |",
    ...comparison.headline.map(
      (row) =>
        `| ${row.run_id} | ${row.model} | ${row.mode} | ${row.verified}/${row.healthy} | ${percent(row.rate)} | $${row.cost_usd.toFixed(4)} |`,
    ),
    "",
    "| repository | verified (first) | verified (second) |",
    "| --- | --- | --- |",
    ...comparison.by_repo.map(
      (row) =>
        `| ${row.repo} | ${row.verified[0]}/${row.healthy[0]} | ${row.verified[1]}/${row.healthy[1]} |`,
    ),
    "",
    comparison.changed.length > 0
      ? "| instance | first | second |\n| --- | --- | --- |"
      : "No instance changed status.",
    ...comparison.changed.map((row) => `| ${row.instance_id} | ${row.from} | ${row.to} |`),
    "",
  ].join("\n");
  const html = `<h2>Compared with ${escapeHtml(comparison.runs[1])}</h2>
${warning ? `<p class="warning">${escapeHtml(warning)}</p>` : ""}
<table id="comparison"><thead><tr><th>run</th><th>model</th><th>mode</th><th>verified/healthy</th><th>rate</th><th>cost</th></tr></thead><tbody>
${comparison.headline.map((row) => `<tr><td>${escapeHtml(row.run_id)}</td><td>${escapeHtml(row.model)}</td><td>${escapeHtml(row.mode)}</td><td>${row.verified}/${row.healthy}</td><td>${percent(row.rate)}</td><td>$${row.cost_usd.toFixed(4)}</td></tr>`).join("\n")}
</tbody></table>
<table><thead><tr><th>repository</th><th>first</th><th>second</th></tr></thead><tbody>
${comparison.by_repo.map((row) => `<tr><td>${escapeHtml(row.repo)}</td><td>${row.verified[0]}/${row.healthy[0]}</td><td>${row.verified[1]}/${row.healthy[1]}</td></tr>`).join("\n")}
</tbody></table>
<table><thead><tr><th>instance</th><th>first</th><th>second</th></tr></thead><tbody>
${comparison.changed.map((row) => `<tr><td>${escapeHtml(row.instance_id)}</td><td>${escapeHtml(row.from)}</td><td>${escapeHtml(row.to)}</td></tr>`).join("\n") || '<tr><td colspan="3">No instance changed status.</td></tr>'}
</tbody></table>`;
  return { markdown, html };
}
