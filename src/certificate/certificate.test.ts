import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { UserError } from "../errors.js";
import { canonicalize } from "./canonicalize.js";
import { type Certificate, sha256, signCertificate, verifyCertificate } from "./certificate.js";
import { keyFingerprint } from "./key-fingerprint.js";
import { createKeyPair, loadPrivateKey } from "./keys.js";
import { sampleDocument as document, samplePatch as patch } from "./test-support/sample-document.js";
import { readLocalTrustedKey, readTrustedKeys } from "./trusted-keys.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-certificate-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

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
  const trusted = [{ key: publicKey, source: "test key" }];
  const signed = signCertificate(document, privateKey);
  const fileText = `${canonicalize(signed)}\n`;
  const check = (outcome: ReturnType<typeof verifyCertificate>, name: string) =>
    outcome.checks.find((item) => item.name === name);

  it("verifies a signed certificate against a trusted key, and fails against another key", () => {
    const outcome = verifyCertificate(signed, { trustedKeys: trusted, fileText, patchText: patch });
    expect(outcome.ok).toBe(true);
    expect(check(outcome, "trusted_signer")?.detail).toBe(
      `${keyFingerprint(publicKey)} is trusted (test key)`,
    );
    const other = generateKeyPairSync("ed25519").publicKey;
    expect(verifyCertificate(signed, { trustedKeys: [{ key: other, source: "other" }] }).ok).toBe(false);
    // Nothing trusted, nothing verified: the embedded key vouches for nobody.
    expect(verifyCertificate(signed, { trustedKeys: [] }).ok).toBe(false);
  });

  it("fails a certificate re-signed with an unknown key, naming that key's fingerprint", () => {
    // An attacker edits the patch, fixes the hash, and signs with a fresh key that the certificate embeds.
    const forger = generateKeyPairSync("ed25519");
    const forgedPatch = `${patch}+evil\n`;
    const forged = signCertificate(
      { ...document, patch: forgedPatch, patch_sha256: sha256(forgedPatch) },
      forger.privateKey,
    );
    const outcome = verifyCertificate(forged, {
      trustedKeys: trusted,
      fileText: `${canonicalize(forged)}\n`,
    });
    expect(outcome.ok).toBe(false);
    // The signature itself holds: only the signer gives the forgery away.
    expect(check(outcome, "signature")?.ok).toBe(true);
    expect(check(outcome, "trusted_signer")).toEqual({
      name: "trusted_signer",
      ok: false,
      detail: expect.stringMatching(
        new RegExp(`^${keyFingerprint(forger.publicKey).replace(/[+/]/g, "\\$&")} is not a trusted key`),
      ),
    });
    expect(keyFingerprint(forger.publicKey)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(keyFingerprint(forger.publicKey)).not.toBe(keyFingerprint(publicKey));
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
        ok = verifyCertificate(JSON.parse(text) as Certificate, { trustedKeys: trusted, fileText: text }).ok;
      } catch {
        ok = false; // not even JSON any more
      }
      if (!ok) failures++;
    }
    expect(failures).toBe(bytes.length);
  });

  it("fails when the patch file or the signature changes", () => {
    expect(verifyCertificate(signed, { trustedKeys: trusted, patchText: `${patch} ` }).ok).toBe(false);
    const value = Buffer.from(signed.signature.value, "base64");
    value[0] = (value[0] ?? 0) ^ 1;
    const tampered = verifyCertificate(
      { ...signed, signature: { ...signed.signature, value: value.toString("base64") } },
      { trustedKeys: trusted },
    );
    expect(tampered.ok).toBe(false);
    expect(check(tampered, "signature")?.ok).toBe(false);
  });

  it("keys init writes a 0600 private key and refuses to overwrite it; its public key is the local trusted key", () => {
    const dir = join(scratch, "keys");
    const created = createKeyPair(dir);
    expect(statSync(created.privatePath).mode & 0o777).toBe(0o600);
    expect(() => createKeyPair(dir)).toThrow(/already exists/);
    const key = loadPrivateKey(created.privatePath);
    expect(key).toBeDefined();
    const again = signCertificate(document, key as NonNullable<typeof key>);
    const local = readLocalTrustedKey(dir);
    expect(local?.source).toBe(`local key ${created.publicPath}`);
    expect(created.fingerprint).toBe(keyFingerprint(local?.key as NonNullable<typeof local>["key"]));
    expect(verifyCertificate(again, { trustedKeys: [local as NonNullable<typeof local>] }).ok).toBe(true);
    expect(readLocalTrustedKey(join(scratch, "no-keys"))).toBeUndefined();
  });
});

describe("trusted key files", () => {
  const pem = (key: KeyObject) => key.export({ type: "spki", format: "pem" }).toString();
  const write = (name: string, text: string) => {
    const path = join(scratch, name);
    writeFileSync(path, text);
    return path;
  };
  /** The one line the CLI would print. */
  const failure = (file: string, where: string) => {
    try {
      readTrustedKeys(file, where);
    } catch (error) {
      return (error as UserError).oneLine();
    }
    return "read without error";
  };

  it("reads every PEM block of a file, ignoring comments between them, each with its line", () => {
    const alice = generateKeyPairSync("ed25519").publicKey;
    const bob = generateKeyPairSync("ed25519").publicKey;
    const file = write("trusted.pem", `# alice\n${pem(alice)}\n# bob, since 2026\n${pem(bob)}`);
    const keys = readTrustedKeys(file, `--trusted-keys=${file}`);
    expect(keys.map((entry) => keyFingerprint(entry.key))).toEqual([
      keyFingerprint(alice),
      keyFingerprint(bob),
    ]);
    expect(keys.map((entry) => entry.source)).toEqual([
      `--trusted-keys=${file}:2`,
      `--trusted-keys=${file}:7`,
    ]);
  });

  it("refuses a file without keys, a private key, a non-Ed25519 key and a missing file in one line", () => {
    const none = write("none.pem", "# nobody yet\n");
    expect(failure(none, `--trusted-keys=${none}`)).toMatch(
      new RegExp(`^--trusted-keys=${none}: holds no PEM public key \\(`),
    );
    const { privateKey } = generateKeyPairSync("ed25519");
    const secret = write("secret.pem", privateKey.export({ type: "pkcs8", format: "pem" }).toString());
    expect(failure(secret, `--pubkey=${secret}`)).toContain(`--pubkey=${secret}: holds no PEM public key`);
    const rsa = write("rsa.pem", pem(generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey));
    expect(failure(rsa, `--pubkey=${rsa}`)).toContain(`--pubkey=${rsa}:1: not an Ed25519 public key (rsa)`);
    const missing = join(scratch, "absent.pub");
    expect(failure(missing, `--pubkey=${missing}`)).toContain(
      `--pubkey=${missing}: cannot read public keys (ENOENT)`,
    );
  });
});
