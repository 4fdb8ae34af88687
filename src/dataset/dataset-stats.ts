import type { Instance } from "./instance.js";

/** How many instances a dataset (or a selection of it) holds. */
export interface DatasetStats {
  /** Number of instances. */
  total: number;
  /** Instances per repository (`owner/name` → count), keys sorted. */
  by_repo: Record<string, number>;
  /** Instances per `owner/name@version` (the unit that shares one test environment), keys sorted. */
  by_repo_version: Record<string, number>;
}

/** Counts instances: total, per repository, per repository@version. */
export function datasetStats(instances: readonly Instance[]): DatasetStats {
  const byRepo = new Map<string, number>();
  const byRepoVersion = new Map<string, number>();
  for (const instance of instances) {
    byRepo.set(instance.repo, (byRepo.get(instance.repo) ?? 0) + 1);
    const key = `${instance.repo}@${instance.version}`;
    byRepoVersion.set(key, (byRepoVersion.get(key) ?? 0) + 1);
  }
  return {
    total: instances.length,
    by_repo: sortedRecord(byRepo),
    by_repo_version: sortedRecord(byRepoVersion),
  };
}

// Sorted keys make the JSON output stable, so two runs' stats can be diffed.
function sortedRecord(counts: Map<string, number>): Record<string, number> {
  return Object.fromEntries(
    [...counts].sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0)),
  );
}
