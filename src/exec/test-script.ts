import { randomBytes } from "node:crypto";

/** A fresh random nonce for one run's markers. */
export function newNonce(): string {
  return randomBytes(12).toString("hex");
}

const startMarker = (nonce: string) => `>>>>> swegate-start ${nonce}`;
const endMarker = (nonce: string) => `>>>>> swegate-end ${nonce} exit=`;

/**
 * A bash script that runs `setup`, then the test command bracketed by markers carrying `nonce`,
 * then prints the command's exit code on the end marker line and exits with it. The nonce is not
 * exported to the tests or put in their argv. Ordering is the main defence: the genuine start
 * marker is printed before any test runs and the genuine end marker after the last one exits, so
 * `extractTestRun` takes the first start and the last end. Residual risk (documented, not closed):
 * a test that reads its parent shell's script through /proc could learn the nonce, print a fake
 * end marker with `exit=0` and kill the shell; run untrusted code with `--backend isolated`.
 */
export function wrapTestCommand(options: { command: string; nonce: string; setup?: string[] }): string {
  return [
    "set +e",
    ...(options.setup ?? []),
    `printf '%s\\n' '${startMarker(options.nonce)}'`,
    `( ${options.command} ) </dev/null`,
    "swegate_exit=$?",
    `printf '\\n%s%s\\n' '${endMarker(options.nonce)}' "$swegate_exit"`,
    'exit "$swegate_exit"',
    "",
  ].join("\n");
}

export interface TestRun {
  /** Output between the genuine start and end markers (what is graded). */
  log: string;
  /** The test command's exit code from the end marker, or null when the run did not finish. */
  exitCode: number | null;
  /** Both markers with this nonce were found. */
  complete: boolean;
}

/**
 * Takes the graded part of a run's output: from the first start marker with this nonce to the last
 * end marker with it. Markers printed by the tests themselves carry no (or a wrong) nonce and are
 * just text inside the log.
 */
export function extractTestRun(output: string, nonce: string): TestRun {
  const start = output.indexOf(`${startMarker(nonce)}\n`);
  const endIndex = output.lastIndexOf(`\n${endMarker(nonce)}`);
  if (start < 0) return { log: output, exitCode: null, complete: false };
  const bodyStart = start + startMarker(nonce).length + 1;
  if (endIndex < bodyStart - 1) return { log: output.slice(bodyStart), exitCode: null, complete: false };
  const codeText = /^(\d+)/.exec(output.slice(endIndex + 1 + endMarker(nonce).length))?.[1];
  return {
    log: output.slice(bodyStart, endIndex),
    exitCode: codeText === undefined ? null : Number(codeText),
    complete: codeText !== undefined,
  };
}
