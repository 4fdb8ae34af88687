import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CERTIFICATE_SCHEMA, type Certificate, sha256 } from "../certificate/certificate.js";
import { writeSignedCertificate } from "../run/instance-certificate.js";
import { emptyResult, type InstanceJob } from "../run/process-instance.js";
import { artifactPaths } from "../store/open-store.js";
import type { InstanceResult } from "../store/records.js";
import { ARTIFACT_NAME, type QueuedOutcome } from "./queued-instance.js";

/**
 * Writes what a worker handed back into this machine's store, as a local run would have: the
 * artefact files in the instance's folder, the certificate signed with this machine's key (after
 * checking that it states this instance, this dataset and the result's patch), and the result with
 * its attempts in one transaction.
 */
export function recordQueuedOutcome(job: InstanceJob, outcome: QueuedOutcome): InstanceResult {
  const { instance } = job;
  const paths = artifactPaths(job.store.dir, job.runId, instance.instance_id);
  mkdirSync(paths.dir, { recursive: true });
  for (const artifact of outcome.artifacts)
    if (ARTIFACT_NAME.test(artifact.name)) writeFileSync(join(paths.dir, artifact.name), artifact.text);
  const worker = `${outcome.worker.host} (pid ${outcome.worker.pid})`;
  let result: InstanceResult = {
    ...outcome.result,
    certificate: null,
    environment: environmentNamingTheMachine(outcome),
  };
  let certificate: { path: string; sha256: string } | undefined;
  if (result.verified && outcome.certificate && job.signingKey) {
    const mismatch = certificateMismatch(outcome.certificate, job, result.patch);
    if (mismatch)
      result = { ...result, error: `the certificate from worker ${worker} was not signed: ${mismatch}` };
    else {
      const { signature: _, ...document } = outcome.certificate;
      certificate = writeSignedCertificate(document, job.signingKey, paths.certificate);
      result = { ...result, certificate: certificate.path };
    }
  }
  job.store.recordInstanceResult(job.runId, result, outcome.attempts, certificate);
  return result;
}

/** The result's environment naming the worker's machine (`show` and `report` print it). */
function environmentNamingTheMachine({ result, worker }: QueuedOutcome): InstanceResult["environment"] {
  if (!result.environment) return null;
  return { ...result.environment, details: { ...result.environment.details, machine: worker.host } };
}

/** What in a worker's certificate does not match the instance this run asked for, if anything. */
function certificateMismatch(certificate: Certificate, job: InstanceJob, patch: string): string | undefined {
  const { instance } = job;
  const expected: [string, unknown, unknown][] = [
    ["schema", certificate.schema, CERTIFICATE_SCHEMA],
    ["instance_id", certificate.instance_id, instance.instance_id],
    ["repo", certificate.repo, instance.repo],
    ["base_commit", certificate.base_commit, instance.base_commit],
    ["test_patch_sha256", certificate.test_patch_sha256, sha256(instance.test_patch)],
    ["dataset_digest", certificate.dataset_digest, job.datasetDigest],
    ["patch_sha256", certificate.patch_sha256, sha256(patch)],
    ["patch", certificate.patch, patch],
  ];
  const wrong = expected.find(([, stated, wanted]) => stated !== wanted);
  return wrong && `its ${wrong[0]} is not this instance's`;
}

/** The result of an instance whose job failed on every worker that tried it (the worker could not run it at all). */
export function failedJobResult(job: InstanceJob, failedReason: string): InstanceResult {
  return {
    ...emptyResult(job),
    status: "infra_error",
    error: failedReason,
    finished_at: new Date().toISOString(),
    reason: "no worker could run this instance",
  };
}
