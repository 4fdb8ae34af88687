import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import type { Instance } from "../../dataset/instance.js";
import { loadDataset } from "../../dataset/load-dataset.js";
import {
  createEnvironment,
  defaultDebianMirror,
  listEnvironments,
  removeEnvironment,
} from "../../environments/debian-environments.js";
import { createEnvironmentChooser } from "../../environments/per-instance-environments.js";
import { checkoutCommit } from "../../environments/preinstall-dependencies.js";
import {
  buildSpecEnvironment,
  listSpecEnvironments,
  parseSize,
  pruneSpecEnvironments,
  readSpecEnvironment,
  removeSpecEnvironment,
  specEnvironmentsDir,
} from "../../environments/spec-environments.js";
import { chooseSpecSandbox } from "../../environments/spec-sandbox.js";
import { EnvironmentError, UserError } from "../../errors.js";
import { specFor } from "../../specs/spec-for.js";
import { git } from "../../workspace/git.js";
import { createRepoCache, DEFAULT_REPO_URL_TEMPLATE, defaultCacheDir } from "../../workspace/repo-cache.js";
import { printJson, printLine } from "../output.js";

export function registerEnvCommand(program: Command): void {
  const env = program
    .command("env")
    .description(
      "Debian root filesystems with older Pythons for --backend isolated, and virtual environments built from the harness's specs for --spec-env",
    );
  registerEnvBuildCommand(env);
  env
    .command("create <name>")
    .description("build an environment with debootstrap (the release whose Python is closest to --python)")
    .requiredOption(
      "--python <version>",
      "Python version, e.g. 3.9 (bookworm 3.11, bullseye 3.9, buster 3.7)",
    )
    .option("--release <release>", "Debian release to use instead")
    .option(
      "--packages <list>",
      "Debian packages (comma-separated; default: python3, pytest, git, a compiler, the Python headers and the known repositories' packages)",
    )
    .option(
      "--mirror, --debian-mirror <url>",
      "Debian archive (its main archive no longer has buster: use http://archive.debian.org/debian for it)",
      defaultDebianMirror(),
    )
    .option("--cache-dir <dir>", "cache folder", defaultCacheDir())
    .option("--json", "print JSON only")
    .action(
      async (
        name: string,
        options: {
          python: string;
          release?: string;
          packages?: string;
          debianMirror: string;
          cacheDir: string;
          json?: boolean;
        },
      ) => {
        const record = await createEnvironment({
          cacheDir: options.cacheDir,
          name,
          python: options.python,
          release: options.release,
          mirror: options.debianMirror,
          packages: options.packages
            ?.split(",")
            .map((item) => item.trim())
            .filter(Boolean),
          onProgress: (line) => process.stderr.write(`${line}\n`),
        });
        if (options.json) return printJson({ ...record, packages: record.packages.length });
        printLine(
          `${record.name}: Debian ${record.release}, ${record.python_version}, ${record.packages.length} packages, digest ${record.digest.slice(0, 16)}`,
        );
      },
    );
  env
    .command("list")
    .description("list environments")
    .option("--cache-dir <dir>", "cache folder", defaultCacheDir())
    .option("--json", "print JSON only")
    .action((options: { cacheDir: string; json?: boolean }) => {
      const records = listEnvironments(options.cacheDir);
      const specEnvironments = listSpecEnvironments(options.cacheDir);
      if (options.json)
        return printJson([
          ...records.map((record) => ({ kind: "debian", ...record, packages: record.packages.length })),
          ...specEnvironments.map((record) => ({ kind: "spec", ...record })),
        ]);
      if (records.length === 0 && specEnvironments.length === 0)
        printLine(
          "no environments (swegate env create NAME --python 3.9, or swegate env build REPO@VERSION)",
        );
      for (const record of records)
        printLine(
          `${record.name}\t${record.release}\t${record.python_version}\t${record.packages.length} packages\t${record.created_at}`,
        );
      for (const record of specEnvironments)
        printLine(
          `${record.name}\tspec ${record.repo}@${record.version}\t${record.python_version} (spec ${record.spec_python})\t${record.freeze.length} packages\t${megabytes(record.size_bytes)}\t${record.users.length} instance(s)${record.users.length ? `: ${record.users.slice(0, 5).join(", ")}${record.users.length > 5 ? ", …" : ""}` : ""}`,
        );
    });
  env
    .command("prune")
    .description("remove the spec environments used least recently until the rest fit in --max-size")
    .requiredOption("--max-size <size>", "what the spec environments may take, e.g. 20G, 500M")
    .option("--cache-dir <dir>", "cache folder", defaultCacheDir())
    .action((options: { maxSize: string; cacheDir: string }) => {
      const bytes = parseSize(options.maxSize);
      if (bytes === undefined)
        throw new UserError("is not a size", {
          where: `--max-size=${options.maxSize}`,
          hint: "e.g. 20G, 500M or a number of bytes",
        });
      const removed = pruneSpecEnvironments(options.cacheDir, bytes);
      printLine(
        removed.length
          ? `removed ${removed.join(", ")}`
          : `nothing to remove: the spec environments fit in ${options.maxSize}`,
      );
    });
  env
    .command("remove <name>")
    .description("delete an environment")
    .option("--cache-dir <dir>", "cache folder", defaultCacheDir())
    .action((name: string, options: { cacheDir: string }) => {
      if (
        readSpecEnvironment(options.cacheDir, name) ||
        existsSync(join(specEnvironmentsDir(options.cacheDir), name))
      )
        removeSpecEnvironment(options.cacheDir, name);
      else removeEnvironment(options.cacheDir, name);
      printLine(`removed ${name}`);
    });
}

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** `swegate env build REPO@VERSION [dataset]`: the spec environment `--spec-env` would use. */
function registerEnvBuildCommand(env: Command): void {
  env
    .command("build <target> [dataset]")
    .description(
      "build the virtual environment the harness's spec names for REPO@VERSION (uv, else python -m venv + pip); a dataset with one of its instances gives the environment setup commit whose requirements file it reads",
    )
    .option("--index-url <url>", "package index instead of PyPI")
    .option("--exclude-newer <date>", "with uv: install nothing uploaded after this date (e.g. 2024-06-01)")
    .option(
      "--backend <name>",
      "host (from this machine's Python nearest the spec's) or isolated (from the nearest Debian environment's, built in its sandbox: what --spec-env --backend isolated uses)",
      "host",
    )
    .option(
      "--debian-mirror <url>",
      "with --backend isolated: the Debian archive environments are built from",
    )
    .option("--cache-dir <dir>", "cache folder", defaultCacheDir())
    .option("--repo-url <template>", `where mirrors are cloned from (default ${DEFAULT_REPO_URL_TEMPLATE})`)
    .option("--json", "print JSON only")
    .action(
      async (
        target: string,
        datasetPath: string | undefined,
        options: {
          indexUrl?: string;
          excludeNewer?: string;
          backend: string;
          debianMirror?: string;
          cacheDir: string;
          repoUrl?: string;
          json?: boolean;
        },
      ) => {
        const instance = await instanceFor(target, datasetPath);
        const cache = createRepoCache({
          cacheDir: options.cacheDir,
          repoUrlTemplate: options.repoUrl ?? DEFAULT_REPO_URL_TEMPLATE,
        });
        const commit = instance.environment_setup_commit || instance.base_commit;
        const sandbox = await buildSandbox(instance, options);
        if (sandbox && !("interpreter" in sandbox))
          throw new EnvironmentError(`${sandbox.reason}: ${sandbox.evidence.join(" | ")}`, {
            where: `env build ${target} --backend isolated`,
            hint: "build the Debian environment with swegate env create, or pass --debian-mirror",
          });
        const result = await buildSpecEnvironment({
          cacheDir: options.cacheDir,
          instance,
          sandbox,
          indexUrl: options.indexUrl,
          excludeNewer: options.excludeNewer,
          checkout: async () =>
            commit
              ? checkoutCommit(
                  await cache.ensureCommit(instance.repo, commit),
                  commit,
                  specEnvironmentsDir(options.cacheDir),
                )
              : undefined,
          onProgress: (line) => process.stderr.write(`${line}\n`),
          read: async (path) => {
            if (!commit) return undefined;
            const mirror = await cache.ensureCommit(instance.repo, commit);
            const shown = await git(["show", `${commit}:${path}`], { cwd: mirror });
            return shown.code === 0 ? shown.stdout : undefined;
          },
        });
        if (!result.ok)
          throw new EnvironmentError(`${result.reason}: ${result.evidence.join(" | ")}`, {
            where: `env build ${target}`,
            hint: "see the build log under the cache's spec-environments folder",
          });
        if (options.json) return printJson(result.record);
        printLine(
          `${result.record.name}: ${result.record.python_version} (spec ${result.record.spec_python}), ${result.record.freeze.length} packages, ${result.record.build_seconds} s, digest ${result.record.digest.slice(0, 16)}`,
        );
      },
    );
}

/** With `--backend isolated`: the sandbox of the Debian environment nearest the spec's Python (built on first need). */
async function buildSandbox(
  instance: Instance,
  options: { backend: string; debianMirror?: string; cacheDir: string },
): Promise<Awaited<ReturnType<typeof chooseSpecSandbox>> | undefined> {
  if (options.backend === "host") return undefined;
  if (options.backend !== "isolated")
    throw new UserError("spec environments are built for the host or isolated backend", {
      where: `--backend=${options.backend}`,
      hint: "use --backend host or isolated",
    });
  return chooseSpecSandbox(
    instance,
    createEnvironmentChooser({
      cacheDir: options.cacheDir,
      mirror: options.debianMirror ?? defaultDebianMirror(),
      warn: (line) => process.stderr.write(`swegate: warning: ${line}\n`),
      progress: (line) => process.stderr.write(`${line}\n`),
      olderOnTies: true,
    }),
  );
}

/** The instance whose spec and setup commit `env build` uses: from the dataset, or the spec alone. */
async function instanceFor(target: string, datasetPath: string | undefined): Promise<Instance> {
  const match = /^([\w.-]+\/[\w.-]+)@(.+)$/.exec(target);
  if (!match)
    throw new UserError(`${JSON.stringify(target)} is not REPO@VERSION`, {
      where: "env build",
      hint: "e.g. swegate env build pallets/flask@2.3 lite.jsonl",
    });
  const [, repo = "", version = ""] = match;
  if (datasetPath) {
    const dataset = await loadDataset(datasetPath);
    const found = dataset.instances.find(
      (instance) => instance.repo === repo && instance.version === version,
    );
    if (!found)
      throw new UserError(`no instance of ${repo}@${version}`, {
        where: datasetPath,
        hint: "name another dataset or version",
      });
    return found;
  }
  const spec = specFor({ repo, version, extra: {} });
  if (spec.generic)
    throw new UserError(`the harness's specs have no ${repo}@${version}`, {
      where: "env build",
      hint: "see data/specs.json for the known versions",
    });
  if (spec.packages === "requirements.txt" || spec.packages === "environment.yml")
    throw new UserError(
      `${repo}@${version} installs the repository's ${spec.packages}, read at an instance's environment setup commit`,
      {
        where: "env build",
        hint: "give a dataset holding one of its instances: swegate env build REPO@VERSION DATASET",
      },
    );
  return { repo, version, extra: {}, environment_setup_commit: "", base_commit: "" } as unknown as Instance;
}
