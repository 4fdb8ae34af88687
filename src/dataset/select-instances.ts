import { createHash } from "node:crypto";
import { UserError } from "../errors.js";
import type { Instance } from "./instance.js";

/** Which instances to take from a dataset. */
export interface Selection {
  /** Only these ids (kept in dataset order; an id the dataset lacks is an error). */
  ids?: string[];
  /** Only these repositories (`owner/name`). */
  repos?: string[];
  /** Not these repositories. */
  excludeRepos?: string[];
  /** Keep only ids in this set (the health registry's healthy instances). */
  healthyIds?: ReadonlySet<string>;
  /** Take N instances deterministically by seed. */
  sample?: number;
  /** Seed for `sample` (default 0): the sample is the N ids with the lowest sha256(seed, id). */
  seed?: string | number;
}

/** A filter of a selection, in the order they apply. */
export type SelectionStep = "ids" | "repos" | "excludeRepos" | "healthyIds" | "sample";

/** Applies a selection; pure and deterministic (the same seed gives the same sample in any input order). */
export function selectInstances(instances: readonly Instance[], selection: Selection): Instance[] {
  return selectExplained(instances, selection).selected;
}

/**
 * Same as `selectInstances`, and names the first filter that left nothing (undefined when something
 * is left, or when there was nothing to filter), so a caller can say which flag selected nothing.
 */
export function selectExplained(
  instances: readonly Instance[],
  selection: Selection,
): { selected: Instance[]; emptiedBy: SelectionStep | undefined } {
  let selected = [...instances];
  let emptiedBy: SelectionStep | undefined;
  const apply = (step: SelectionStep, keep: (list: Instance[]) => Instance[]) => {
    const before = selected.length;
    selected = keep(selected);
    if (before > 0 && selected.length === 0 && emptiedBy === undefined) emptiedBy = step;
  };
  if (selection.ids && selection.ids.length > 0) {
    const byId = new Map(instances.map((instance) => [instance.instance_id, instance]));
    const missing = selection.ids.filter((id) => !byId.has(id));
    if (missing.length > 0) {
      throw new UserError(
        `unknown instance id${missing.length > 1 ? "s" : ""}: ${missing.slice(0, 5).join(", ")}`,
        {
          where: "--instances",
          hint: "check the ids against `swegate dataset list`",
        },
      );
    }
    const wanted = new Set(selection.ids);
    apply("ids", (list) => list.filter((instance) => wanted.has(instance.instance_id)));
  }
  if (selection.repos && selection.repos.length > 0) {
    const repos = new Set(selection.repos);
    apply("repos", (list) => list.filter((instance) => repos.has(instance.repo)));
  }
  if (selection.excludeRepos && selection.excludeRepos.length > 0) {
    const excluded = new Set(selection.excludeRepos);
    apply("excludeRepos", (list) => list.filter((instance) => !excluded.has(instance.repo)));
  }
  if (selection.healthyIds) {
    const healthy = selection.healthyIds;
    apply("healthyIds", (list) => list.filter((instance) => healthy.has(instance.instance_id)));
  }
  if (selection.sample !== undefined) {
    const seed = String(selection.seed ?? 0);
    const rank = (instance: Instance) =>
      createHash("sha256").update(`${seed}\0${instance.instance_id}`).digest("hex");
    const size = selection.sample;
    apply("sample", (list) =>
      list
        .map((instance) => ({ instance, key: rank(instance) }))
        .sort((left, right) => (left.key < right.key ? -1 : left.key > right.key ? 1 : 0))
        .slice(0, size)
        .map(({ instance }) => instance),
    );
  }
  return { selected, emptiedBy };
}
