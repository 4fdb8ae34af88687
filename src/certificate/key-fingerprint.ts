import { createHash, createPublicKey, type KeyObject } from "node:crypto";

/**
 * A key pair's fingerprint: `SHA256:` then the SHA-256 of its SPKI DER encoding in base64 without
 * padding. Short enough to read aloud, and the same for every spelling of one key (PEM line breaks,
 * file names), so it is what verify names when it meets a key it does not trust.
 */
export function keyFingerprint(key: KeyObject): string {
  // A private key stands for its public half, so both halves of a pair share a fingerprint.
  const publicKey = key.type === "private" ? createPublicKey(key) : key;
  const der = publicKey.export({ type: "spki", format: "der" });
  return `SHA256:${createHash("sha256").update(der).digest("base64").replace(/=+$/, "")}`;
}

/** True when both are the same public key (compared as SPKI DER, not as text). */
export function sameKey(left: KeyObject, right: KeyObject): boolean {
  return left.export({ type: "spki", format: "der" }).equals(right.export({ type: "spki", format: "der" }));
}
