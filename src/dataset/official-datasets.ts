/** The official SWE-bench datasets `swegate dataset fetch` knows (test split, parquet on HuggingFace). */
export const OFFICIAL_DATASETS = {
  lite: "princeton-nlp/SWE-bench_Lite/resolve/main/data/test-00000-of-00001.parquet",
  verified: "SWE-bench/SWE-bench_Verified/resolve/main/data/test-00000-of-00001.parquet",
  full: "princeton-nlp/SWE-bench/resolve/main/data/test-00000-of-00001.parquet",
} as const;

/** Name of an official dataset: `lite`, `verified` or `full`. */
export type OfficialDatasetName = keyof typeof OFFICIAL_DATASETS;

/** Where HuggingFace serves dataset files; overridable for mirrors and tests. */
export const DEFAULT_HUGGINGFACE_BASE_URL = "https://huggingface.co/datasets";

/** True when `name` is one of the official dataset names. */
export function isOfficialDatasetName(name: string): name is OfficialDatasetName {
  return Object.hasOwn(OFFICIAL_DATASETS, name);
}

/** The download URL of an official dataset under a base URL (no trailing slash needed). */
export function officialDatasetUrl(
  name: OfficialDatasetName,
  baseUrl = DEFAULT_HUGGINGFACE_BASE_URL,
): string {
  return `${baseUrl.replace(/\/+$/, "")}/${OFFICIAL_DATASETS[name]}`;
}

/** File name of an official dataset in the cache's `datasets/` folder. */
export function officialDatasetFileName(name: OfficialDatasetName): string {
  return `swe-bench-${name}.parquet`;
}
