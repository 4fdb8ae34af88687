#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { UserError } from "../errors.js";
import { releaseHeldWorkspaces } from "../workspace/create-workspace.js";
import { registerCommands } from "./commands/index.js";
import { packageVersion } from "./package-version.js";

/** Builds the program; exported so tests can run commands in-process. */
export function createProgram(): Command {
  const program = new Command("swegate")
    .description(
      "Turn SWE-bench task instances into verified fixes: red gate → direct edits → green gate → certificate.",
    )
    .version(packageVersion(), "-V, --version")
    .option("--debug", "print stack traces of internal errors")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  registerCommands(program);
  return program;
}

/** Runs the CLI; the only place that maps errors to exit codes. */
export async function main(argv: string[]): Promise<number> {
  const program = createProgram();
  const debug = argv.includes("--debug");
  try {
    await program.parseAsync(argv, { from: "user" }).finally(releaseWorkspaces);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; usage errors were already printed by commander.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof UserError) {
      process.stderr.write(`swegate: ${error.oneLine()}\n`);
      if (debug && error.cause)
        process.stderr.write(`${String((error.cause as Error).stack ?? error.cause)}\n`);
      return error.name === "EnvironmentError" ? 3 : 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(
      `swegate: internal error: ${message} — please report it (rerun with --debug for the stack)\n`,
    );
    if (debug && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return 1;
  }
}

/** Checkouts held for reuse go to the shared pool, so the next command finds them (best effort). */
async function releaseWorkspaces(): Promise<void> {
  await releaseHeldWorkspaces().catch(() => undefined);
}

const invokedDirectly = process.argv[1] && /(?:swegate(?:\.js)?|main\.[jt]s)$/.test(process.argv[1]);
if (invokedDirectly) {
  // `swegate show … | head` closes the pipe early: that is not an error.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
