import type { KeyObject } from "node:crypto";
import { writeFileSync } from "node:fs";
import { canonicalize } from "../certificate/canonicalize.js";
import {
  CERTIFICATE_SCHEMA,
  type CertificateDocument,
  sha256,
  signCertificate,
} from "../certificate/certificate.js";
import type { Instance } from "../dataset/instance.js";
import type { EnvironmentDescription } from "../exec/backend.js";
import type { GreenGateResult } from "../grading/green-gate.js";
import type { RedGateResult } from "../grading/red-gate.js";

/** Everything a verified instance's certificate states. */
export interface CertificateFacts {
  /** The instance that was fixed. */
  instance: Instance;
  /** sha256 of the dataset file it came from. */
  datasetDigest: string;
  /** The verified patch. */
  patch: string;
  /** The red gate that reproduced the bug. */
  red: RedGateResult;
  /** The final green gate that graded the patch FULL. */
  green: GreenGateResult;
  /** Where both gates ran. */
  environment: EnvironmentDescription;
  /** The environment's fingerprint (as in the health registry). */
  fingerprint: string;
  /** The model's id. */
  model: string;
  /** The feedback mode of the attempts. */
  mode: "oracle" | "blind";
  /** Attempts made. */
  attempts: number;
  /** The swegate version that ran it. */
  swegateVersion: string;
  /** ISO time the red gate started. */
  redAt: string;
  /** ISO time the final green gate started. */
  greenAt: string;
}

/** Signs the certificate and writes it to `path`; returns the file's sha256 for the store. */
export function writeCertificate(
  facts: CertificateFacts,
  key: KeyObject,
  path: string,
): { path: string; sha256: string } {
  const { instance, red, green, environment } = facts;
  const document: CertificateDocument = {
    schema: CERTIFICATE_SCHEMA,
    instance_id: instance.instance_id,
    dataset_digest: facts.datasetDigest,
    repo: instance.repo,
    base_commit: instance.base_commit,
    test_patch_sha256: sha256(instance.test_patch),
    patch_sha256: sha256(facts.patch),
    patch: facts.patch,
    red_gate: { verdict: red.verdict, tests: red.tests, log_sha256: sha256(red.log) },
    green_gate: {
      resolution: green.resolution,
      tests: green.tests,
      log_sha256: sha256(green.log),
      evidence: green.evidence,
    },
    environment: {
      backend: environment.backend,
      python_version: environment.pythonVersion,
      image_digest: environment.imageDigest,
      fingerprint: facts.fingerprint,
    },
    model: facts.model,
    feedback_mode: facts.mode,
    attempts: facts.attempts,
    swegate_version: facts.swegateVersion,
    created_at: new Date().toISOString(),
    red_at: facts.redAt,
    green_at: facts.greenAt,
  };
  return writeSignedCertificate(document, key, path);
}

/**
 * Signs a certificate document and writes it to `path`; returns the file's sha256 for the store.
 * Also used by a queued run's coordinator, which signs what a worker's gates stated.
 */
export function writeSignedCertificate(
  document: CertificateDocument,
  key: KeyObject,
  path: string,
): { path: string; sha256: string } {
  // Canonical JSON on disk: every byte of the file is significant, so any change fails verification.
  const text = `${canonicalize(signCertificate(document, key))}\n`;
  writeFileSync(path, text);
  return { path, sha256: sha256(text) };
}
