/** A group with a quantifier inside, itself quantified: `(a+)+`, `(x|y*)*`, `(\w+\s?){2,}`. */
const NESTED_QUANTIFIER = /\([^()]*[+*}][^()]*\)\s*[+*{]/;
/** Regex matching looks at this many characters of a line at most. */
const REGEX_LINE_CHARACTERS = 2000;

/**
 * A line test for search_code: a literal substring, or a regular expression (JavaScript syntax, no
 * flags); a string is the error to show instead.
 */
export function makeLineMatcher(pattern: string, regex: boolean): ((line: string) => boolean) | string {
  if (!regex) return (line) => line.includes(pattern);
  // JavaScript regexes backtrack and cannot be interrupted: refuse the shapes that explode (a
  // quantified group that itself repeats, or a back-reference) and match only the start of long lines.
  if (NESTED_QUANTIFIER.test(pattern) || /\\[1-9]/.test(pattern))
    return "error: regular expression with nested repetition or back-references refused (they can take forever); simplify it";
  try {
    // No `g` flag: `test` then keeps no state between lines.
    const expression = new RegExp(pattern);
    return (line) =>
      expression.test(line.length > REGEX_LINE_CHARACTERS ? line.slice(0, REGEX_LINE_CHARACTERS) : line);
  } catch (error) {
    // V8's message already starts with "Invalid regular expression: ".
    return `error: invalid regular expression: ${(error as Error).message.replace(/^Invalid regular expression: /, "")}`;
  }
}
