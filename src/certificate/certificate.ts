import { createHash, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { canonicalize } from "./canonicalize.js";
import { keyFingerprint, sameKey } from "./key-fingerprint.js";

export const CERTIFICATE_SCHEMA = "swegate.certificate/v1";

export const sha256 = (text: string | Buffer) => createHash("sha256").update(text).digest("hex");

/** The signed statement: this patch took this instance from red to green in this environment. */
export interface CertificateDocument {
  schema: typeof CERTIFICATE_SCHEMA;
  instance_id: string;
  dataset_digest: string;
  repo: string;
  base_commit: string;
  test_patch_sha256: string;
  patch_sha256: string;
  /** The verified patch itself. */
  patch: string;
  red_gate: { verdict: string; tests: Record<string, string>; log_sha256: string };
  green_gate: {
    resolution: string;
    tests: Record<string, string>;
    log_sha256: string;
    /** The evidence that backed the log's passes (exit status, runner summary, JUnit report); absent in certificates from before it was checked. */
    evidence?: { kind: string; ok: boolean; detail: string }[];
  };
  environment: { backend: string; python_version: string; image_digest?: string; fingerprint: string };
  model: string;
  feedback_mode: string;
  attempts: number;
  swegate_version: string;
  /** ISO times. */
  created_at: string;
  red_at: string;
  green_at: string;
}

export interface Certificate extends CertificateDocument {
  signature: { algorithm: "Ed25519"; public_key: string; value: string };
}

/** Signs the canonical JSON (RFC 8785) of the document without its signature. */
export function signCertificate(document: CertificateDocument, privateKey: KeyObject): Certificate {
  const value = sign(null, Buffer.from(canonicalize(document)), privateKey).toString("base64");
  const publicKey = createPublicKey(privateKey).export({ type: "spki", format: "pem" }).toString();
  return { ...document, signature: { algorithm: "Ed25519", public_key: publicKey, value } };
}

export interface VerificationCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/** A public key the verifier trusts, and where it came from (named when it vouches for a certificate). */
export interface TrustedKey {
  /** The public key. */
  key: KeyObject;
  /** Where it was read, e.g. `--pubkey=alice.pub:1` or `local key <path>`. */
  source: string;
}

/**
 * Checks a certificate offline: schema, signature, signer, the patch hash, and the hashes of a patch
 * file and logs when given. The embedded public key only says who claims to have signed: anyone can
 * re-sign an edited certificate with a fresh key and embed that, so the signer passes only when it is
 * one of `trustedKeys`; an unknown signer is named by its fingerprint.
 */
export function verifyCertificate(
  certificate: Certificate,
  options: {
    trustedKeys: readonly TrustedKey[];
    patchText?: string;
    logs?: { red?: string; green?: string };
    fileText?: string;
  },
): { ok: boolean; checks: VerificationCheck[] } {
  const checks: VerificationCheck[] = [];
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  if (options.fileText !== undefined) {
    // Certificates are written in canonical form, so even a whitespace change to the file is detected.
    add(
      "canonical_form",
      options.fileText === `${canonicalize(certificate)}\n`,
      "the file is the certificate's canonical JSON",
    );
  }
  add("schema", certificate.schema === CERTIFICATE_SCHEMA, `schema ${certificate.schema}`);
  const { signature, ...document } = certificate;
  let embedded: KeyObject | undefined;
  let signatureOk = false;
  try {
    embedded = createPublicKey(signature.public_key);
    // Lenient decoders accept several spellings of one key or signature; only the canonical one is valid.
    const canonicalSpelling =
      embedded.export({ type: "spki", format: "pem" }).toString() === signature.public_key &&
      Buffer.from(signature.value, "base64").toString("base64") === signature.value;
    signatureOk =
      canonicalSpelling &&
      signature.algorithm === "Ed25519" &&
      embedded.asymmetricKeyType === "ed25519" &&
      verify(null, Buffer.from(canonicalize(document)), embedded, Buffer.from(signature.value, "base64"));
  } catch {
    signatureOk = false;
  }
  const fingerprint = embedded ? keyFingerprint(embedded) : undefined;
  add(
    "signature",
    signatureOk,
    signatureOk
      ? `the certificate is signed by the key it names, ${fingerprint}`
      : "the signature does not match the certificate and the key it names",
  );
  const signer = embedded && options.trustedKeys.find((trusted) => sameKey(trusted.key, embedded));
  add(
    "trusted_signer",
    signer !== undefined,
    signer
      ? `${fingerprint} is trusted (${signer.source})`
      : fingerprint
        ? `${fingerprint} is not a trusted key (pass its public key with --pubkey or --trusted-keys if you trust its owner)`
        : "the certificate names no readable public key",
  );
  add(
    "patch_sha256",
    sha256(certificate.patch) === certificate.patch_sha256,
    "the embedded patch matches its hash",
  );
  if (options.patchText !== undefined)
    add(
      "patch_file",
      sha256(options.patchText) === certificate.patch_sha256,
      "the patch file matches the certificate",
    );
  if (options.logs?.red !== undefined)
    add("red_log", sha256(options.logs.red) === certificate.red_gate.log_sha256, "red gate log hash");
  if (options.logs?.green !== undefined)
    add("green_log", sha256(options.logs.green) === certificate.green_gate.log_sha256, "green gate log hash");
  return { ok: checks.every((check) => check.ok), checks };
}
