import { createPublicKey, type KeyObject } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../errors.js";
import type { TrustedKey } from "./certificate.js";
import { defaultKeyDir, PUBLIC_KEY_FILE } from "./keys.js";

const PEM_BLOCK = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g;
const HINT = "give PEM public keys (-----BEGIN PUBLIC KEY-----), such as the .pub file of swegate keys init";

/**
 * Every PEM public key block in a file (`cat a.pub b.pub > trusted.pem` makes one); text outside the
 * blocks, such as comments naming each key's owner, is ignored. A file without any block, or with a
 * block that is not an Ed25519 public key, is a user error naming `where` (`--flag=file`; and the
 * block's line).
 */
export function readTrustedKeys(file: string, where = file): TrustedKey[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UserError(
      `cannot read public keys (${(error as NodeJS.ErrnoException).code ?? "unreadable"})`,
      {
        where,
        hint: HINT,
      },
    );
  }
  const keys: TrustedKey[] = [];
  for (const match of text.matchAll(PEM_BLOCK)) {
    const line = text.slice(0, match.index).split("\n").length;
    const at = `${where}:${line}`;
    let key: KeyObject;
    try {
      key = createPublicKey(match[0]);
    } catch (error) {
      throw new UserError(`not a public key: ${(error as Error).message}`, { where: at, hint: HINT });
    }
    // Certificates are signed with Ed25519 only; any other key type could never vouch for one.
    if (key.asymmetricKeyType !== "ed25519")
      throw new UserError(`not an Ed25519 public key (${key.asymmetricKeyType})`, { where: at, hint: HINT });
    keys.push({ key, source: at });
  }
  if (keys.length === 0) throw new UserError("holds no PEM public key", { where, hint: HINT });
  return keys;
}

/** Path of the local key pair's public key (`swegate keys init`), trusted by default. */
export function localPublicKeyPath(dir = defaultKeyDir()): string {
  return join(dir, PUBLIC_KEY_FILE);
}

/** The local key pair's public key, or undefined when `swegate keys init` has not been run. */
export function readLocalTrustedKey(dir = defaultKeyDir()): TrustedKey | undefined {
  const path = localPublicKeyPath(dir);
  if (!existsSync(path)) return undefined;
  return readTrustedKeys(path).map(({ key }) => ({ key, source: `local key ${path}` }))[0];
}
