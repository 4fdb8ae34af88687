// Regenerates data/demo/demo.jsonl from src/dataset/demo/demo-sources.ts (patches made by git).
// Run: npx tsx scripts/build-demo-dataset.ts
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { buildDemoRepositories } from "../src/dataset/demo/build-demo-repositories.js";
import { DEMO_INSTANCES } from "../src/dataset/demo/demo-sources.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-demo-build-"));
const { commits } = buildDemoRepositories(join(scratch, "repos"));
const rows: string[] = [];
for (const instance of DEMO_INSTANCES) {
  const base = commits[instance.repo] as string;
  const work = join(scratch, instance.instance_id);
  execFileSync("git", [
    "clone",
    "-q",
    join(scratch, "repos", `${instance.repo.replace("/", "__")}.git`),
    work,
  ]);
  const diffOf = (files: Record<string, string>) => {
    execFileSync("git", ["checkout", "-q", "-f", base], { cwd: work });
    execFileSync("git", ["clean", "-qfdx"], { cwd: work });
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(work, path)), { recursive: true });
      writeFileSync(join(work, path), content);
    }
    execFileSync("git", ["add", "-A"], { cwd: work });
    const diff = execFileSync("git", ["diff", "--cached", base], { cwd: work, encoding: "utf8" });
    execFileSync("git", ["reset", "-q", "--hard", base], { cwd: work });
    return diff;
  };
  rows.push(
    JSON.stringify({
      repo: instance.repo,
      instance_id: instance.instance_id,
      base_commit: base,
      patch: diffOf(instance.gold),
      test_patch: diffOf(instance.tests),
      problem_statement: instance.problem_statement,
      hints_text: "",
      created_at: "2026-01-01T00:00:00Z",
      version: "0.1",
      FAIL_TO_PASS: JSON.stringify(instance.FAIL_TO_PASS),
      PASS_TO_PASS: JSON.stringify(instance.PASS_TO_PASS),
      environment_setup_commit: base,
      demo_answers: instance.demo_answers,
    }),
  );
}
writeFileSync(join(import.meta.dirname, "..", "data", "demo", "demo.jsonl"), `${rows.join("\n")}\n`);
rmSync(scratch, { recursive: true, force: true });
console.log(`wrote ${rows.length} demo instances`);
