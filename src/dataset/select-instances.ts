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

/** Applies a selection; pure and deterministic (the same seed gives the same sample in any input order). */
export function selectInstances(instances: readonly Instance[], selection: Selection): Instance[] {
  let selected = [...instances];
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
    selected = selected.filter((instance) => wanted.has(instance.instance_id));
  }
  if (selection.repos && selection.repos.length > 0) {
    const repos = new Set(selection.repos);
    selected = selected.filter((instance) => repos.has(instance.repo));
  }
  if (selection.excludeRepos && selection.excludeRepos.length > 0) {
    const excluded = new Set(selection.excludeRepos);
    selected = selected.filter((instance) => !excluded.has(instance.repo));
  }
  if (selection.healthyIds) {
    const healthy = selection.healthyIds;
    selected = selected.filter((instance) => healthy.has(instance.instance_id));
  }
  if (selection.sample !== undefined) {
    const seed = String(selection.seed ?? 0);
    const rank = (instance: Instance) =>
      createHash("sha256").update(`${seed}\0${instance.instance_id}`).digest("hex");
    selected = selected
      .map((instance) => ({ instance, key: rank(instance) }))
      .sort((left, right) => (left.key < right.key ? -1 : left.key > right.key ? 1 : 0))
      .slice(0, selection.sample)
      .map(({ instance }) => instance);
  }
  return selected;
}
