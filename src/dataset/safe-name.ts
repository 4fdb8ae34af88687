import { UserError } from "../errors.js";

/**
 * Names that come from data (instance ids, run ids, model names) become folder names under the
 * store and the eval output. A name is safe when it is exactly one ordinary path segment on every
 * platform we write to, so joining it can never climb out of (or hide inside) the folder it is meant for.
 */

// Filesystems cap a segment at 255 bytes; stay well below so suffixes (`.json`, `-1`) still fit.
// SWE-bench ids are under 60 characters.
export const MAX_NAME_BYTES = 200;

/** What to do about an unsafe name, for error hints. */
export const NAME_HINT = "give a plain name such as django__django-11099";

/** Why `name` cannot be used as one folder name, or undefined when it can. */
export function unsafeNameProblem(name: string): string | undefined {
  if (name.trim() === "") return "is empty";
  if (/[/\\]/.test(name)) return "contains a path separator (/ or \\)";
  // `.` and `..` walk the tree; any other leading dot makes a hidden folder nobody looks for.
  if (name.startsWith(".")) return "starts with a dot";
  // Control characters (NUL, newline, escape, C1) break paths, logs and terminals alike.
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return "contains a control character";
  if (Buffer.byteLength(name, "utf8") > MAX_NAME_BYTES) return `is longer than ${MAX_NAME_BYTES} bytes`;
  return undefined;
}

/**
 * Returns `name` when it is safe (see `unsafeNameProblem`), else throws a one-line UserError:
 * `<where>: <what> "<name>" <problem> (<hint>)`. For option values, `where` is `--flag=value`.
 */
export function requireSafeName(name: string, what: string, where: string, hint?: string): string {
  const problem = unsafeNameProblem(name);
  if (problem === undefined) return name;
  throw new UserError(`${what} ${quoteName(name)} ${problem}`, {
    where,
    hint: hint ?? NAME_HINT,
  });
}

/** The name as JSON, shortened: control characters show escaped, and a huge name does not flood the line. */
export function quoteName(name: string): string {
  const text = JSON.stringify(name);
  return text.length > 60 ? `${text.slice(0, 57)}..."` : text;
}
