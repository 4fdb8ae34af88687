import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { UserError } from "../errors.js";
import { keyFingerprint } from "./key-fingerprint.js";

/** `$XDG_CONFIG_HOME/swegate/keys`, else `~/.config/swegate/keys`. */
export function defaultKeyDir(): string {
  return join(process.env.XDG_CONFIG_HOME || join(homedir(), ".config"), "swegate", "keys");
}

export const PRIVATE_KEY_FILE = "swegate-ed25519.key";
export const PUBLIC_KEY_FILE = "swegate-ed25519.pub";

/** Writes a new Ed25519 key pair (private key mode 0600); refuses to overwrite unless forced. */
export function createKeyPair(
  dir: string,
  force = false,
): { privatePath: string; publicPath: string; publicKeyPem: string; fingerprint: string } {
  const privatePath = join(dir, PRIVATE_KEY_FILE);
  const publicPath = join(dir, PUBLIC_KEY_FILE);
  if (existsSync(privatePath) && !force) {
    throw new UserError("a signing key already exists", {
      where: privatePath,
      hint: "use --force to replace it (old certificates keep verifying with the old public key)",
    });
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  writeFileSync(privatePath, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  const publicKeyPem = publicKey.export({ type: "spki", format: "pem" }).toString();
  writeFileSync(publicPath, publicKeyPem, { mode: 0o644 });
  return { privatePath, publicPath, publicKeyPem, fingerprint: keyFingerprint(publicKey) };
}

/** Loads a private key file, or undefined when it does not exist. */
export function loadPrivateKey(path: string): KeyObject | undefined {
  if (!existsSync(path)) return undefined;
  return createPrivateKey(readFileSync(path));
}
