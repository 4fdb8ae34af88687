import { readFileSync } from "node:fs";
import { isMap, isSeq, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import type { Instance } from "../dataset/instance.js";
import { selectInstances } from "../dataset/select-instances.js";
import { UserError } from "../errors.js";
import { wilsonInterval } from "../report/build-run-report.js";

const PHASE = z.strictObject({
  name: z.string().min(1),
  size: z.number().int().positive(),
  target: z.number().min(0).max(1),
  repos: z.array(z.string()).optional(),
  exclude_repos: z.array(z.string()).optional(),
  healthy_only: z.boolean().optional(),
  seed: z.union([z.string(), z.number()]).optional(),
});
const PLAN = z.strictObject({
  name: z.string().optional(),
  dataset: z.string().optional(),
  model: z.string().optional(),
  mode: z.enum(["oracle", "blind"]).optional(),
  phases: z.array(PHASE).min(1),
});

/** One phase: how many instances, which, and the verified rate it must reach. */
export type RampPhase = z.infer<typeof PHASE>;
/** A ramp plan (YAML): phases of growing size, each started only when the last met its target. */
export type RampPlan = z.infer<typeof PLAN>;

/** Reads and validates a plan; an error names the file, line and field. */
export function loadRampPlan(file: string): RampPlan {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new UserError("cannot read ramp plan", { where: file });
  }
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines });
  if (document.errors.length > 0) {
    const error = document.errors[0];
    throw new UserError(`not valid YAML: ${error?.message.split("\n")[0]}`, {
      where: `${file}:${error?.linePos?.[0]?.line ?? 1}`,
    });
  }
  const parsed = PLAN.safeParse(document.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path ?? [];
    // Find the YAML node of the failing field for its line number.
    let node: unknown = document.contents;
    for (const key of path) {
      if (isMap(node)) node = node.get(key as string, true) ?? node;
      else if (isSeq(node)) node = node.get(key as number, true) ?? node;
    }
    const offset = (node as { range?: [number] } | null)?.range?.[0] ?? 0;
    throw new UserError(`field ${path.join(".") || "(plan)"}: ${issue?.message}`, {
      where: `${file}:${lines.linePos(offset).line}`,
      hint: "phases need name, size, target (0–1) and may have repos, exclude_repos, healthy_only, seed",
    });
  }
  return parsed.data;
}

/** The instances of one phase: its selection, minus every instance an earlier phase used. */
export function selectPhaseInstances(
  instances: readonly Instance[],
  phase: RampPhase,
  used: ReadonlySet<string>,
  healthyIds?: ReadonlySet<string>,
): Instance[] {
  const fresh = instances.filter((instance) => !used.has(instance.instance_id));
  return selectInstances(fresh, {
    repos: phase.repos,
    excludeRepos: phase.exclude_repos,
    healthyIds: phase.healthy_only ? healthyIds : undefined,
    sample: phase.size,
    seed: phase.seed ?? phase.name,
  });
}

/** A phase's verdict: its verified rate over instances that reached the model, with a 95% Wilson interval. */
export function judgePhase(phase: RampPhase, verified: number, attempted: number) {
  const rate = attempted === 0 ? 0 : verified / attempted;
  const interval = wilsonInterval(verified, attempted);
  const met = attempted > 0 && rate >= phase.target;
  const percent = (value: number) => `${(value * 100).toFixed(0)}%`;
  const summary = `phase ${phase.name}: ${verified}/${attempted} verified (${percent(rate)}, 95% CI ${percent(interval.low)}–${percent(interval.high)}), target ${percent(phase.target)}`;
  return {
    rate,
    ...interval,
    met,
    message: met
      ? `${summary}: met`
      : attempted === 0
        ? `${summary}: missed — no instance reached the model (all env-broken or skipped)`
        : `${summary}: missed by ${percent(phase.target - rate)}`,
  };
}
