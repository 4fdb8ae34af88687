import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildDemoRepositories } from "../../dataset/demo/build-demo-repositories.js";
import { demoDatasetPath } from "../../dataset/demo/load-demo-dataset.js";

/**
 * Four instances of a repository whose harness spec asks Python 3.6 (pydicom 1.0 and 1.1: buster),
 * 3.9 (2.1: bullseye) and 3.11 (3.0: the host's), each the demo's calculator bug, so every one is
 * healthy wherever it can run. Made in `scratch`; `--repo-url repoUrl` finds the repository.
 */
export function pydicomDataset(scratch: string): { file: string; repoUrl: string } {
  const demo = buildDemoRepositories(join(scratch, "demo"));
  mkdirSync(join(scratch, "mirrors"), { recursive: true });
  cpSync(
    demo.repoUrlTemplate.replace("{owner}__{name}", "swegate-demo__calculator"),
    join(scratch, "mirrors", "pydicom+pydicom.git"),
    { recursive: true },
  );
  const row = JSON.parse(
    readFileSync(demoDatasetPath(), "utf8")
      .split("\n")
      .find((line) => line.includes('"swegate-demo__calculator-1"')) as string,
  );
  const file = join(scratch, "pydicom.jsonl");
  writeFileSync(
    file,
    ["1.0", "1.1", "2.1", "3.0"]
      .map((version) =>
        JSON.stringify({
          ...row,
          repo: "pydicom/pydicom",
          instance_id: `pydicom__pydicom-${version.replace(".", "")}`,
          version,
        }),
      )
      .join("\n"),
  );
  return { file, repoUrl: join(scratch, "mirrors", "{owner}+{name}.git") };
}
