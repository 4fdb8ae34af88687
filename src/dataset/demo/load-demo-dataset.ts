import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Dataset, loadDataset } from "../load-dataset.js";

/** Path of the shipped demo dataset (works from src/ and dist/). */
export function demoDatasetPath(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "data", "demo", "demo.jsonl");
}

/** The bundled demo instances (source `demo`). Their repositories come from `buildDemoRepositories`. */
export async function loadDemoDataset(): Promise<Dataset> {
  const dataset = await loadDataset(demoDatasetPath());
  return { ...dataset, source: "demo" };
}

/** True for instances of the bundled demo repositories. */
export function isDemoRepository(repo: string): boolean {
  return repo.startsWith("swegate-demo/");
}
