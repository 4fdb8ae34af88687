import { CERTIFICATE_SCHEMA, type CertificateDocument, sha256 } from "../certificate.js";

/** The patch of `sampleDocument`. */
export const samplePatch = "diff --git a/m.py b/m.py\n--- a/m.py\n+++ b/m.py\n@@ -1 +1 @@\n-a\n+b\n";

/** A complete certificate document to sign in tests (no real run behind it). */
export const sampleDocument: CertificateDocument = {
  schema: CERTIFICATE_SCHEMA,
  instance_id: "o__r-1",
  dataset_digest: "d".repeat(64),
  repo: "o/r",
  base_commit: "c".repeat(40),
  test_patch_sha256: sha256("tests"),
  patch_sha256: sha256(samplePatch),
  patch: samplePatch,
  red_gate: { verdict: "reproduced", tests: { "t.py::test_a": "FAILED" }, log_sha256: sha256("red") },
  green_gate: { resolution: "FULL", tests: { "t.py::test_a": "PASSED" }, log_sha256: sha256("green") },
  environment: { backend: "host", python_version: "Python 3.11.7", fingerprint: "f00d" },
  model: "demo",
  feedback_mode: "oracle",
  attempts: 2,
  swegate_version: "0.1.0",
  created_at: "2026-01-01T00:00:00Z",
  red_at: "2026-01-01T00:00:00Z",
  green_at: "2026-01-01T00:00:01Z",
};
