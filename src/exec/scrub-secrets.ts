/**
 * The last line of defence between a credential swegate holds and what a command prints: every
 * command output goes through here before the log, the store or the model sees it. It is not the
 * first line (that is each backend keeping swegate's environment out of reach of the tests) and it
 * cannot be airtight: a test that encodes a value (base64, reversed, one character a line) gets it
 * past any scrubber. What it does catch is the value printed as it is, which is how a leak looks
 * when a test dumps an environment.
 */

/** Shorter values are not treated as secrets: they would redact ordinary words and numbers. */
const MIN_SECRET_LENGTH = 8;

/** Names that hold credentials by convention (`ANTHROPIC_API_KEY`, `GITHUB_TOKEN`, `AWS_SECRET_ACCESS_KEY`, `PGPASSWORD`, …). */
const CREDENTIAL_NAME =
  /API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL/i;
/** …except names of where a credential lives, whose values are paths, not the credential. */
const LOCATION_NAME = /_(FILE|PATH|DIR)$/i;

/** Secret value → the variable it came from (the first name registered for it wins). */
const secrets = new Map<string, string>();
/** One regular expression over all values, longest first; rebuilt when a value is added. */
let pattern: RegExp | undefined;

/** Remembers a credential's value so that it is redacted from every later command output. */
export function registerSecret(variable: string, value: string | undefined): void {
  if (!value || value.length < MIN_SECRET_LENGTH || secrets.has(value)) return;
  secrets.set(value, variable);
  pattern = undefined;
}

/** True for a variable name that by convention holds a credential. */
export function looksLikeCredential(name: string): boolean {
  return CREDENTIAL_NAME.test(name) && !LOCATION_NAME.test(name);
}

/**
 * True for a value that can be redacted without harm: a plain word ("password", "undefined") or a
 * plain number under a name that looks like a credential is likelier a placeholder than a secret,
 * and redacting it everywhere could rewrite a test id in the graded log (`test_x[12345678]`).
 */
function redactable(value: string): boolean {
  if (value.length < MIN_SECRET_LENGTH) return false;
  return value.length >= 20 || !/^([A-Za-z]+|[0-9]+)$/.test(value);
}

/**
 * Registers every variable of `environment` whose name looks like a credential. Cheap (one pass over
 * the names), so it is called at the start of each command run: a key exported after swegate
 * started, or set by a library at run time, is covered too.
 */
export function registerCredentialVariables(environment: NodeJS.ProcessEnv = process.env): void {
  for (const [name, value] of Object.entries(environment))
    if (value && looksLikeCredential(name) && redactable(value)) registerSecret(name, value);
}

function secretPattern(): RegExp | undefined {
  if (secrets.size === 0) return undefined;
  pattern ??= new RegExp(
    [...secrets.keys()]
      .sort((a, b) => b.length - a.length)
      .map((value) => value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join("|"),
    "g",
  );
  return pattern;
}

/** `text` with every registered value replaced by `[redacted:VARIABLE]`. */
export function scrubSecrets(text: string): string {
  const found = secretPattern();
  if (!found) return text;
  return text.replace(found, (value) => `[redacted:${secrets.get(value) ?? "secret"}]`);
}

/** Scrubs a stream of text whose chunks may split a secret anywhere. */
export interface OutputScrubber {
  /** The chunk scrubbed, minus a trailing piece that could be the start of a secret (held for the next chunk). */
  write(chunk: string): string;
  /** What is still held, scrubbed: call once at the end of the stream. */
  end(): string;
}

/**
 * A scrubber for one command's output. A chunk that ends with the first characters of a secret keeps
 * them back until the next chunk shows whether the secret follows, so a value split across two reads
 * of the pipe is redacted as a whole, in the live display as in the kept output.
 */
export function createOutputScrubber(): OutputScrubber {
  registerCredentialVariables();
  let held = "";
  return {
    write(chunk) {
      if (secrets.size === 0) {
        const text = held + chunk;
        held = "";
        return text;
      }
      const text = scrubSecrets(held + chunk);
      const keep = startOfPartialSecret(text);
      held = text.slice(keep);
      return text.slice(0, keep);
    },
    end() {
      const text = scrubSecrets(held);
      held = "";
      return text;
    },
  };
}

/** The earliest index from which the rest of `text` is a proper prefix of a secret (text.length if none). */
function startOfPartialSecret(text: string): number {
  let longest = 0;
  for (const value of secrets.keys()) longest = Math.max(longest, value.length);
  for (let index = Math.max(0, text.length - longest + 1); index < text.length; index++) {
    const rest = text.slice(index);
    for (const value of secrets.keys())
      if (value.length > rest.length && value.startsWith(rest)) return index;
  }
  return text.length;
}
