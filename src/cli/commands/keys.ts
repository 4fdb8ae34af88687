import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { type Certificate, verifyCertificate } from "../../certificate/certificate.js";
import { createKeyPair, defaultKeyDir, loadPublicKey } from "../../certificate/keys.js";
import { UserError } from "../../errors.js";
import { rerunCertificate } from "../../run/rerun-certificate.js";
import {
  addBackendOptions,
  type BackendOptions,
  createBackendResolver,
  createCacheFromOptions,
  positiveInteger,
} from "../backend-options.js";
import { resolveInstances } from "../dataset-options.js";
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

  const verify = program
    .command("verify <certificate>")
    .description("check a certificate's signature and hashes offline (exit 1 when it fails)")
    .option("--pubkey <file>", "trusted public key (default: the one embedded in the certificate)")
    .option("--patch <file>", "also check a patch file against the certificate")
    .option("--rerun", "also check out the base commit, apply the patch and run both gates again")
    .option("--dataset <file>", "with --rerun: the dataset holding the instance (default: the bundled demo)")
    .option("--json", "print JSON only");
  addBackendOptions(verify).action(
    async (
      file: string,
      options: BackendOptions & {
        pubkey?: string;
        patch?: string;
        rerun?: boolean;
        dataset?: string;
        json?: boolean;
      },
    ) => {
      let certificate: Certificate;
      let fileText: string;
      try {
        fileText = readFileSync(file, "utf8");
        certificate = JSON.parse(fileText) as Certificate;
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
        fileText,
      });
      if (options.rerun) {
        // Only a certificate whose signature and hashes hold is worth re-running.
        const { dataset } = await resolveInstances(options.dataset, {});
        const instance = dataset.instances.find(
          (candidate) => candidate.instance_id === certificate.instance_id,
        );
        if (!instance)
          throw new UserError(`the dataset has no instance ${certificate.instance_id}`, {
            where: `--dataset=${options.dataset ?? "demo"}`,
          });
        if (outcome.ok) {
          outcome.checks.push(
            ...(await rerunCertificate({
              certificate,
              instance,
              cache: createCacheFromOptions(options, dataset),
              backend: createBackendResolver(options)(instance),
              timeoutSeconds: positiveInteger(options.timeout, "--timeout"),
            })),
          );
          outcome.ok = outcome.checks.every((check) => check.ok);
        }
      }
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
    },
  );
}
