import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { datasetStats } from "./dataset-stats.js";
import { loadDataset } from "./load-dataset.js";
import { selectExplained, selectInstances } from "./select-instances.js";

const lite = join(import.meta.dirname, "..", "specs", "fixtures", "lite-sample.jsonl");
const { instances } = await loadDataset(lite);
const ids = (list: { instance_id: string }[]) => list.map((instance) => instance.instance_id);

describe("selectInstances", () => {
  it("samples deterministically: same seed, same sample, whatever the input order", () => {
    const forward = ids(selectInstances(instances, { sample: 5, seed: 7 }));
    const shuffled = [...instances.slice(9), ...instances.slice(0, 9)].reverse();
    expect(forward).toHaveLength(5);
    expect(ids(selectInstances(shuffled, { sample: 5, seed: 7 }))).toEqual(forward);
    expect(ids(selectInstances(instances, { sample: 5, seed: "7" }))).toEqual(forward);
    expect(ids(selectInstances(instances, { sample: 5, seed: 8 }))).not.toEqual(forward);
    // A larger sample with the same seed extends the smaller one.
    expect(ids(selectInstances(instances, { sample: 8, seed: 7 })).slice(0, 5)).toEqual(forward);
    expect(selectInstances(instances, { sample: 500, seed: 7 })).toHaveLength(20);
  });

  it("filters by ids, repositories, excluded repositories and health, keeping dataset order", () => {
    const wanted = [instances[5]?.instance_id as string, instances[1]?.instance_id as string];
    expect(ids(selectInstances(instances, { ids: wanted }))).toEqual([wanted[1], wanted[0]]);
    expect(selectInstances(instances, { repos: ["django/django"] })).toHaveLength(4);
    expect(selectInstances(instances, { repos: ["django/django", "sympy/sympy"] })).toHaveLength(7);
    expect(selectInstances(instances, { excludeRepos: ["django/django"] })).toHaveLength(16);
    const healthy = new Set(wanted);
    expect(ids(selectInstances(instances, { healthyIds: healthy }))).toEqual([wanted[1], wanted[0]]);
    expect(selectInstances(instances, { repos: ["django/django"], sample: 2, seed: 1 })).toHaveLength(2);
    expect(selectInstances(instances, {})).toHaveLength(20);
  });

  it("names the first filter that left nothing, so the CLI can name its flag", () => {
    expect(selectExplained(instances, { repos: ["nobody/none"] })).toEqual({
      selected: [],
      emptiedBy: "repos",
    });
    expect(
      selectExplained(instances, { repos: ["django/django"], excludeRepos: ["django/django"] }).emptiedBy,
    ).toBe("excludeRepos");
    expect(selectExplained(instances, { healthyIds: new Set() }).emptiedBy).toBe("healthyIds");
    expect(selectExplained(instances, { sample: 0 }).emptiedBy).toBe("sample");
    expect(selectExplained(instances, { repos: ["django/django"] }).emptiedBy).toBeUndefined();
    expect(selectExplained([], { repos: ["django/django"] }).emptiedBy).toBeUndefined();
  });

  it("refuses unknown ids, naming them", () => {
    expect(() =>
      selectInstances(instances, { ids: ["nope__nope-1", instances[0]?.instance_id as string] }),
    ).toThrow(/unknown instance id: nope__nope-1/);
  });
});

describe("datasetStats", () => {
  it("counts total, per repository and per repository@version", () => {
    const stats = datasetStats(instances);
    expect(stats.total).toBe(20);
    expect(stats.by_repo["sympy/sympy"]).toBe(3);
    expect(stats.by_repo["django/django"]).toBe(4);
    expect(Object.values(stats.by_repo).reduce((sum, count) => sum + count, 0)).toBe(20);
    expect(Object.values(stats.by_repo_version).reduce((sum, count) => sum + count, 0)).toBe(20);
    const django = Object.entries(stats.by_repo_version).filter(([key]) => key.startsWith("django/django@"));
    expect(Object.fromEntries(django)).toEqual({
      "django/django@3.1": 2,
      "django/django@4.1": 1,
      "django/django@4.2": 1,
    });
    expect(Object.keys(stats.by_repo)).toEqual(Object.keys(stats.by_repo).sort());
    expect(datasetStats([])).toEqual({ total: 0, by_repo: {}, by_repo_version: {} });
  });
});
