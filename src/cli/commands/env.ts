import type { Command } from "commander";
import {
  createEnvironment,
  defaultDebianMirror,
  listEnvironments,
  removeEnvironment,
} from "../../environments/debian-environments.js";
import { defaultCacheDir } from "../../workspace/repo-cache.js";
import { printJson, printLine } from "../output.js";

export function registerEnvCommand(program: Command): void {
  const env = program
    .command("env")
    .description("Debian root filesystems with older Pythons for --backend isolated");
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
      "Debian packages (comma-separated; default: python3, pytest, git and the known repositories' packages)",
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
      if (options.json)
        return printJson(records.map((record) => ({ ...record, packages: record.packages.length })));
      if (records.length === 0) printLine("no environments (swegate env create NAME --python 3.9)");
      for (const record of records)
        printLine(
          `${record.name}\t${record.release}\t${record.python_version}\t${record.packages.length} packages\t${record.created_at}`,
        );
    });
  env
    .command("remove <name>")
    .description("delete an environment")
    .option("--cache-dir <dir>", "cache folder", defaultCacheDir())
    .action((name: string, options: { cacheDir: string }) => {
      removeEnvironment(options.cacheDir, name);
      printLine(`removed ${name}`);
    });
}
