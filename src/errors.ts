/**
 * Typed errors. Expected failures (a failing test run, a patch that does not apply, a malformed
 * model answer) are values, never exceptions; these classes are for bad input and for bugs.
 * Only the CLI turns them into exit codes.
 */

/** Bad input from the user: printed as one line (what, where, what to do), exit code 2. */
export class UserError extends Error {
  /** Where the problem is: a file and line, an option and its value. */
  readonly where: string | undefined;
  /** What the user can do about it. */
  readonly hint: string | undefined;

  constructor(message: string, options: { where?: string; hint?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "UserError";
    this.where = options.where;
    this.hint = options.hint;
  }

  /** The single line the CLI prints: `where: message (hint)`. */
  oneLine(): string {
    const where = this.where ? `${this.where}: ` : "";
    const hint = this.hint ? ` (${this.hint})` : "";
    return `${where}${this.message}${hint}`;
  }
}

/** The environment lacks something the command needs (a program, a network, a key). Exit code 3. */
export class EnvironmentError extends UserError {
  constructor(message: string, options: { where?: string; hint?: string; cause?: unknown } = {}) {
    super(message, options);
    this.name = "EnvironmentError";
  }
}

/** Throws a bug error for a state that must be impossible. */
export function assertNever(value: never, what: string): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
