import { randomBytes } from "node:crypto";

/** A fresh random nonce for one run's markers. */
export function newNonce(): string {
  return randomBytes(12).toString("hex");
}

const startMarker = (nonce: string) => `>>>>> swegate-start ${nonce}`;

/**
 * A bash script that runs `setup`, prints a start marker, then runs the test command and exits with
 * its status. Nothing after the start marker is swegate's: there is no end marker carrying the exit
 * code, because anything a test can print it can forge, and anything the script knows (a nonce in
 * its text) a test can read through /proc. The exit status reaches swegate from the process itself
 * (the backend's `exitCode`), and the graded log is everything after the first start marker: the
 * genuine one is printed before any test runs, so a fake one printed by a test is just text.
 */
export function wrapTestCommand(options: { command: string; nonce: string; setup?: string[] }): string {
  return [
    "set +e",
    ...(options.setup ?? []),
    `printf '%s\\n' '${startMarker(options.nonce)}'`,
    `( ${options.command} ) </dev/null`,
    'exit "$?"',
    "",
  ].join("\n");
}

export interface TestRun {
  /** Output after the genuine start marker (what is graded). */
  log: string;
  /** The test command's exit status as the process reported it, or null when it did not finish. */
  exitCode: number | null;
  /** The start marker was seen and the command exited by itself (not killed, not cut short). */
  complete: boolean;
}

/**
 * Takes the graded part of a run's output: everything after the first start marker with this
 * nonce. `exitCode` is the backend's, from the process (null when it was killed or timed out).
 */
export function extractTestRun(output: string, nonce: string, exitCode: number | null): TestRun {
  const start = output.indexOf(`${startMarker(nonce)}\n`);
  if (start < 0) return { log: output, exitCode: null, complete: false };
  return {
    log: output.slice(start + startMarker(nonce).length + 1),
    exitCode,
    complete: exitCode !== null,
  };
}
