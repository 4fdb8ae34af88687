import { setFlagsFromString } from "node:v8";

/** Regex matching looks at this many characters of a line at most. */
const REGEX_LINE_CHARACTERS = 2000;
/** V8's flag for its linear-time engine (a variable: TypeScript knows only the standard flags). */
const LINEAR: string = "l";

let linearEngine: boolean | undefined;

/** Whether this Node.js has V8's linear-time engine (the `l` flag); checked once. */
function hasLinearEngine(): boolean {
  linearEngine ??= typeof compileLinear("a") !== "string";
  return linearEngine;
}

/**
 * A line test for search_code: a literal substring, or a regular expression (JavaScript syntax, no
 * flags) run in linear time; a string is the error to show instead.
 */
export function makeLineMatcher(pattern: string, regex: boolean): ((line: string) => boolean) | string {
  if (!regex) return (line) => line.includes(pattern);
  try {
    new RegExp(pattern);
  } catch (error) {
    // V8's message already starts with "Invalid regular expression: ".
    return `error: invalid regular expression: ${(error as Error).message.replace(/^Invalid regular expression: /, "")}`;
  }
  if (!hasLinearEngine())
    return "error: regular expressions need V8's linear-time engine, which this Node.js lacks; search for a literal string instead";
  const expression = compileLinear(pattern);
  if (typeof expression === "string") return expression;
  return (line) =>
    expression.test(line.length > REGEX_LINE_CHARACTERS ? line.slice(0, REGEX_LINE_CHARACTERS) : line);
}

let flagSet = false;

/**
 * The pattern compiled for V8's linear-time engine, or the error to show. The pattern comes from the
 * model, and a backtracking regex such as `(a+)+$` can block the event loop, and with it every worker,
 * for minutes; the linear engine cannot. V8 reads its flag when a regex is compiled, so it is turned
 * on here, once. No `g` flag: `test` then keeps no state between lines.
 */
export function compileLinear(pattern: string): RegExp | string {
  if (!flagSet) {
    setFlagsFromString("--enable-experimental-regexp-engine");
    flagSet = true;
  }
  try {
    return new RegExp(pattern, LINEAR);
  } catch {
    return "error: regular expression refused: back-references and lookaround cannot run in linear time; use a pattern without them";
  }
}
