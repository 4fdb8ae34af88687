import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { type Certificate, verifyCertificate } from "../../certificate/certificate.js";
import { createKeyPair, defaultKeyDir, loadPublicKey } from "../../certificate/keys.js";
import { UserError } from "../../errors.js";
import { printJson, printLine } from "../output.js";

export function registerKeysAndVerifyCommands(program: Command): void {
  program
    .command("keys")
    .description("signing keys for certificates")
    .command("init")
    .description("create an Ed25519 key pair (private key mode 0600) and print the public key")
    .option("--dir <dir>", "key folder", defaultKeyDir())
    .option("--force", "replace an existing key")
    .option("--json", "print JSON only")
    .action((options: { dir: string; force?: boolean; json?: boolean }) => {
      const created = createKeyPair(options.dir, options.force);
      if (options.json) return printJson(created);
      printLine(`private key: ${created.privatePath} (keep it secret)`);
      printLine(`public key:  ${created.publicPath}`);
      printLine(created.publicKeyPem.trim());
    });

  program
    .command("verify <certificate>")
    .description("check a certificate's signature and hashes offline (exit 1 when it fails)")
    .option("--pubkey <file>", "trusted public key (default: the one embedded in the certificate)")
    .option("--patch <file>", "also check a patch file against the certificate")
    .option("--json", "print JSON only")
    .action((file: string, options: { pubkey?: string; patch?: string; json?: boolean }) => {
      let certificate: Certificate;
      try {
        certificate = JSON.parse(readFileSync(file, "utf8")) as Certificate;
      } catch (error) {
        throw new UserError(`cannot read certificate: ${(error as Error).message}`, { where: file });
      }
      if (!certificate || typeof certificate !== "object" || !certificate.signature) {
        throw new UserError("not a swegate certificate (no signature)", { where: file });
      }
      const patchText = options.patch ? readFileSync(options.patch, "utf8") : undefined;
      const outcome = verifyCertificate(certificate, {
        publicKey: options.pubkey ? loadPublicKey(options.pubkey) : undefined,
        patchText,
      });
      if (options.json) printJson({ certificate: file, instance_id: certificate.instance_id, ...outcome });
      else {
        for (const check of outcome.checks)
          printLine(`${check.ok ? "ok  " : "FAIL"} ${check.name}: ${check.detail}`);
        printLine(
          outcome.ok
            ? `verified: ${certificate.instance_id} went red → green with this patch`
            : "NOT verified",
        );
      }
      process.exitCode = outcome.ok ? 0 : 1;
    });
}
