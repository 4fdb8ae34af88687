import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { type Certificate, type TrustedKey, verifyCertificate } from "../../certificate/certificate.js";
import { createKeyPair, defaultKeyDir } from "../../certificate/keys.js";
import { localPublicKeyPath, readLocalTrustedKey, readTrustedKeys } from "../../certificate/trusted-keys.js";
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

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * The keys verify trusts: exactly those given with --pubkey and --trusted-keys, else the local key
 * pair's. Never the key a certificate embeds, which anyone re-signing it can replace.
 */
function trustedKeysFrom(options: { pubkey?: string[]; trustedKeys?: string[] }): TrustedKey[] {
  const given = [
    ...(options.pubkey ?? []).flatMap((file) => readTrustedKeys(file, `--pubkey=${file}`)),
    ...(options.trustedKeys ?? []).flatMap((file) => readTrustedKeys(file, `--trusted-keys=${file}`)),
  ];
  if (given.length > 0) return given;
  const local = readLocalTrustedKey();
  if (local) return [local];
  throw new UserError(`no trusted public key: none given, and no local key at ${localPublicKeyPath()}`, {
    hint: "pass the signer's key with --pubkey FILE or --trusted-keys FILE, or run swegate keys init to trust your own",
  });
}

export function registerKeysAndVerifyCommands(program: Command): void {
  program
    .command("keys")
    .description("signing keys for certificates")
    .command("init")
    .description(
      "create an Ed25519 key pair (private key mode 0600) and print the public key and its fingerprint",
    )
    .option("--dir <dir>", "key folder", defaultKeyDir())
    .option("--force", "replace an existing key")
    .option("--json", "print JSON only")
    .action((options: { dir: string; force?: boolean; json?: boolean }) => {
      const created = createKeyPair(options.dir, options.force);
      if (options.json) return printJson(created);
      printLine(`private key: ${created.privatePath} (keep it secret)`);
      printLine(`public key:  ${created.publicPath}`);
      printLine(`fingerprint: ${created.fingerprint}`);
      printLine(created.publicKeyPem.trim());
    });

  const verify = program
    .command("verify <certificate>")
    .description(
      "check a certificate's signature, signer and hashes offline (exit 1 when it fails); the signer must be a trusted key",
    )
    .option(
      "--pubkey <file>",
      "trust this signer's public key (PEM, e.g. a .pub of swegate keys init); repeatable. Without it or --trusted-keys: your own key",
      collect,
    )
    .option(
      "--trusted-keys <file>",
      "trust every PEM public key block in this file (-----BEGIN PUBLIC KEY-----; text between blocks, e.g. comments, is ignored); repeatable",
      collect,
    )
    .option("--patch <file>", "also check a patch file against the certificate")
    .option("--rerun", "also check out the base commit, apply the patch and run both gates again")
    .option("--dataset <file>", "with --rerun: the dataset holding the instance (default: the bundled demo)")
    .option("--json", "print JSON only")
    .addHelpText(
      "after",
      "\nThe key a certificate embeds is never trusted by itself. A signer that is not trusted is named by its\nfingerprint: SHA256: then the SHA-256 of the key's SPKI DER in base64 without padding (swegate keys init\nprints yours).",
    );
  addBackendOptions(verify).action(
    async (
      file: string,
      options: BackendOptions & {
        pubkey?: string[];
        trustedKeys?: string[];
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
        trustedKeys: trustedKeysFrom(options),
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
