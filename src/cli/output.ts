/** Machine-readable output: with `--json` a command prints JSON only (JSON lines for streams). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** One event or record per line, for streams. */
export function printJsonLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Human output; kept separate so `--json` runs never mix the two. */
export function printLine(text = ""): void {
  process.stdout.write(`${text}\n`);
}
