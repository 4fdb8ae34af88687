import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { canonicalize } from "./canonicalize.js";
import {
  CERTIFICATE_SCHEMA,
  type Certificate,
  type CertificateDocument,
  sha256,
  signCertificate,
  verifyCertificate,
} from "./certificate.js";
import { createKeyPair, loadPrivateKey, loadPublicKey } from "./keys.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-certificate-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

const patch = "diff --git a/m.py b/m.py\n--- a/m.py\n+++ b/m.py\n@@ -1 +1 @@\n-a\n+b\n";
const document: CertificateDocument = {
  schema: CERTIFICATE_SCHEMA,
  instance_id: "o__r-1",
  dataset_digest: "d".repeat(64),
  repo: "o/r",
  base_commit: "c".repeat(40),
  test_patch_sha256: sha256("tests"),
  patch_sha256: sha256(patch),
  patch,
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

describe("RFC 8785 canonical JSON", () => {
  it("sorts keys by UTF-16 code units, prints numbers the ECMAScript way, and has no whitespace", () => {
    // Examples in the spirit of RFC 8785 §3.2.3 (sorting) and §3.2.2.3 (numbers).
    expect(canonicalize({ "\u20ac": 1, "\r": 2, "\ud83d\ude00": 3, "1": 4, "\u0080": 5, "\u00f6": 6 })).toBe(
      '{"\\r":2,"1":4,"\u0080":5,"\u00f6":6,"\u20ac":1,"\ud83d\ude00":3}',
    );
    expect(canonicalize({ b: [1e21, 0.000001, -0, 333333333.3333333], a: null })).toBe(
      '{"a":null,"b":[1e+21,0.000001,0,333333333.3333333]}',
    );
    expect(() => canonicalize({ x: Number.NaN })).toThrow();
  });
});

describe("certificates", () => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const signed = signCertificate(document, privateKey);
  const fileText = `${canonicalize(signed)}\n`;

  it("verifies a signed certificate against its key, and fails against another key", () => {
    expect(verifyCertificate(signed, { publicKey, fileText, patchText: patch }).ok).toBe(true);
    const other = generateKeyPairSync("ed25519").publicKey;
    expect(verifyCertificate(signed, { publicKey: other }).ok).toBe(false);
  });

  it("fails when ANY byte of the certificate file changes", () => {
    const bytes = Buffer.from(fileText);
    let failures = 0;
    for (let index = 0; index < bytes.length; index++) {
      const mutated = Buffer.from(bytes);
      mutated[index] = mutated[index] === 0x61 ? 0x62 : 0x61; // 'a' ↔ another byte
      const text = mutated.toString("utf8");
      let ok = false;
      try {
        ok = verifyCertificate(JSON.parse(text) as Certificate, { publicKey, fileText: text }).ok;
      } catch {
        ok = false; // not even JSON any more
      }
      if (!ok) failures++;
    }
    expect(failures).toBe(bytes.length);
  });

  it("fails when the patch file or the signature changes", () => {
    expect(verifyCertificate(signed, { publicKey, patchText: `${patch} ` }).ok).toBe(false);
    const value = Buffer.from(signed.signature.value, "base64");
    value[0] = (value[0] ?? 0) ^ 1;
    expect(
      verifyCertificate(
        { ...signed, signature: { ...signed.signature, value: value.toString("base64") } },
        { publicKey },
      ).ok,
    ).toBe(false);
  });

  it("keys init writes a 0600 private key and refuses to overwrite it", () => {
    const dir = join(scratch, "keys");
    const created = createKeyPair(dir);
    expect(statSync(created.privatePath).mode & 0o777).toBe(0o600);
    expect(() => createKeyPair(dir)).toThrow(/already exists/);
    const key = loadPrivateKey(created.privatePath);
    expect(key).toBeDefined();
    const again = signCertificate(document, key as NonNullable<typeof key>);
    expect(verifyCertificate(again, { publicKey: loadPublicKey(created.publicPath) }).ok).toBe(true);
  });
});
