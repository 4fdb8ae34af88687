import { type Certificate, sha256, type VerificationCheck } from "../certificate/certificate.js";
import type { Instance } from "../dataset/instance.js";
import type { Backend } from "../exec/backend.js";
import { runGreenGate } from "../grading/green-gate.js";
import { runRedGate } from "../grading/red-gate.js";
import type { RepoCache } from "../workspace/repo-cache.js";
import { withWorkspace } from "../workspace/with-workspace.js";

/**
 * Re-runs both gates for a certificate: checks out the base commit, runs the red gate, applies the
 * certified patch and runs the green gate, then compares verdicts and every test's status with the
 * certificate. Returns checks (never throws for a verdict that does not reproduce).
 */
export async function rerunCertificate(options: {
  certificate: Certificate;
  instance: Instance;
  cache: RepoCache;
  backend: Backend;
  timeoutSeconds: number;
}): Promise<VerificationCheck[]> {
  const { certificate, instance } = options;
  const checks: VerificationCheck[] = [];
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  add(
    "rerun_instance",
    instance.base_commit === certificate.base_commit && instance.repo === certificate.repo,
    `${instance.repo}@${instance.base_commit.slice(0, 12)} matches the certificate`,
  );
  add(
    "rerun_test_patch",
    sha256(instance.test_patch) === certificate.test_patch_sha256,
    "the dataset's test_patch is the one certified",
  );
  if (!checks.every((check) => check.ok)) return checks;
  await withWorkspace(
    options.cache,
    { repo: instance.repo, baseCommit: instance.base_commit },
    async (workspace) => {
      const red = await runRedGate({
        instance,
        dir: workspace.dir,
        backend: options.backend,
        timeoutSeconds: options.timeoutSeconds,
      });
      add("rerun_red_verdict", red.verdict === certificate.red_gate.verdict, `red gate: ${red.message}`);
      const green = await runGreenGate({
        instance,
        dir: workspace.dir,
        patch: certificate.patch,
        backend: options.backend,
        timeoutSeconds: options.timeoutSeconds,
      });
      add(
        "rerun_green_verdict",
        green.resolution === certificate.green_gate.resolution,
        `green gate: ${green.message}`,
      );
      const differing = Object.entries(certificate.green_gate.tests).filter(
        ([id, status]) => green.tests[id] !== status,
      );
      add(
        "rerun_green_tests",
        differing.length === 0,
        differing.length === 0
          ? "every test has its certified status"
          : `differ: ${differing
              .slice(0, 5)
              .map(([id, status]) => `${id} (certified ${status}, now ${green.tests[id]})`)
              .join(", ")}`,
      );
    },
  );
  return checks;
}
