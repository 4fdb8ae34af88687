import { parse, View } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

/** A bar chart as inline SVG, rendered in Node (no browser, no network). */
export async function renderBarChart(options: {
  title: string;
  data: { label: string; value: number; group?: string }[];
  xTitle?: string;
  yTitle?: string;
  line?: boolean;
}): Promise<string> {
  const spec: TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: options.title,
    width: 360,
    height: 180,
    data: { values: options.data },
    mark: options.line ? { type: "line", point: true } : { type: "bar" },
    encoding: {
      x: {
        field: "label",
        type: options.line ? "ordinal" : "nominal",
        title: options.xTitle ?? null,
        sort: null,
        axis: { labelAngle: -30 },
      },
      y: { field: "value", type: "quantitative", title: options.yTitle ?? null },
      ...(options.data.some((datum) => datum.group)
        ? { color: { field: "group", type: "nominal", title: null } }
        : {}),
      tooltip: [{ field: "label" }, { field: "value" }],
    },
    config: { font: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", background: "transparent" },
  };
  const view = new View(parse(compile(spec).spec), { renderer: "none" });
  return view.toSVG();
}
