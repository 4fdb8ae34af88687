import { isTestPath } from "./is-test-path.js";

/** A traceback frame named in the issue: where the failing code ran. */
export interface Frame {
  /** The path as the issue writes it (often absolute, from someone's site-packages). */
  path: string;
  /** Line number (1-based) the frame points at. */
  line: number;
  /** Function name the frame names, when it names one. */
  func?: string;
  /** Position among the issue's frames (0 = first); later frames are nearer the failure. */
  order: number;
}

/** A name the issue uses that may be a class, function or method of the repository. */
export interface NamedSymbol {
  /** The last part of the name (`method` in `Class.method`). */
  name: string;
  /** The part before it when the issue wrote a dotted name (`Class` or `package.module.Class`). */
  qualifier?: string;
  /** How sure the issue is that this is code: 2 in backticks or a code block, 1 as a bare word in prose. */
  strength: 1 | 2;
  /** An error message names it (`TypeError: _print_X() got an unexpected keyword argument`): the failure is in or at it. */
  inError?: boolean;
}

/** What an issue text says about where the code is, read without any model. */
export interface IssueEvidence {
  /** Traceback frames, in the issue's order. */
  frames: Frame[];
  /** Names that may be definitions, strongest first, each once. */
  symbols: NamedSymbol[];
  /**
   * Literal pieces of error messages (≥ 16 characters), quoted dotted names, check codes and
   * command-line options, to look for in the code.
   */
  messages: string[];
}

const PYTHON_FRAME = /File "([^"]+\.py)", line (\d+)(?:, in ([A-Za-z_]\w*))?/g;
// pytest's short traceback style: `src/_pytest/main.py:123: in collect` or `path.py:12: ValueError`.
const PYTEST_FRAME = /([\w./-]+\.py):(\d+):(?: in ([A-Za-z_]\w*))?/g;
const ERROR_LINE = /^\s*(?:[\w.]+\.)?\w*(?:Error|Exception|Warning|Exit|Failure)\b:\s*(.+)$/gm;
// `$ program subcommand`: a prompt, a program (`flask`, `./manage.py`, `python -m pkg`), a word.
const SHELL_SUBCOMMAND =
  /^[ \t]*\$[ \t]+(?:python\d?(?:\.\d+)?[ \t]+(?:-m[ \t]+)?)?(?!(?:pip|git|conda|cd)\b)[\w.][\w./-]*[ \t]+([a-z][\w-]{2,})\b(?![./])/gm;
const WORDS_TO_SKIP = new Set(
  "self cls none true false print import from return def class lambda with assert raise yield python pip".split(
    " ",
  ),
);

/** A name as the code spells it inside double or single quotes. */
const quotedEitherWay = (name: string) => [`"${name}"`, `'${name}'`];

/** Reads traceback frames, names and error messages out of an issue's text. */
export function readIssueEvidence(text: string): IssueEvidence {
  const frames: Frame[] = [];
  for (const pattern of [PYTHON_FRAME, PYTEST_FRAME])
    for (const match of text.matchAll(pattern)) {
      const [, path = "", line = "0", func] = match;
      if (frames.some((frame) => frame.path === path.replaceAll("\\", "/") && frame.line === Number(line)))
        continue;
      // Windows tracebacks write `C:\\...\\sympy\\core\\basic.py`.
      frames.push({
        path: path.replaceAll("\\", "/"),
        line: Number(line),
        ...(func ? { func } : {}),
        order: match.index ?? 0,
      });
    }
  frames.push(
    ...ipythonFrames(text).filter(
      (frame) => !frames.some((known) => known.path === frame.path && known.line === frame.line),
    ),
  );
  frames.sort((left, right) => left.order - right.order);
  frames.forEach((frame, index) => {
    frame.order = index;
  });

  const symbols = new Map<string, NamedSymbol>();
  const add = (dotted: string, strength: 1 | 2) => {
    const parts = dotted.split(".").filter(Boolean);
    const name = parts.at(-1);
    if (!name || name.length < 3 || WORDS_TO_SKIP.has(name.toLowerCase()) || /^\d/.test(name)) return;
    const qualifier = parts.length > 1 ? parts.slice(0, -1).join(".") : undefined;
    const key = `${qualifier ?? ""}.${name}`;
    const known = symbols.get(key);
    if (!known || known.strength < strength)
      symbols.set(key, { name, ...(qualifier ? { qualifier } : {}), strength });
  };
  // Inline backticks name code; in fenced blocks (sessions, output) only words used as code do.
  for (const match of text.matchAll(/`[^`\n]+`/g))
    for (const word of match[0].matchAll(/[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*/g)) add(word[0], 2);
  for (const block of text.matchAll(/```[\s\S]*?```/g))
    for (const word of block[0].matchAll(/[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*/g))
      if (looksLikeCode(word[0]) || block[0].startsWith("(", (word.index ?? 0) + word[0].length))
        add(word[0], 2);
  // Prose: only words shaped like code (snake_case, CamelCase, dotted) — plain English words are not names.
  const prose = text.replace(/```[\s\S]*?```|`[^`\n]+`/g, " ");
  for (const match of prose.matchAll(/\b[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*\b/g))
    if (looksLikeCode(match[0])) add(match[0], 1);

  for (const name of namesInErrors(text)) {
    add(name, 2);
    const parts = name.split(".");
    const key = `${parts.length > 1 ? parts.slice(0, -1).join(".") : ""}.${parts.at(-1)}`;
    const known = symbols.get(key);
    if (known) known.inError = true;
  }

  // In the order found, each once.
  const messages = new Set<string>();
  for (const match of text.matchAll(ERROR_LINE))
    for (const piece of literalPieces(match[1] ?? "")) messages.add(piece);
  // A dotted name the code writes inside quotes: output the code generates (a migration's
  // `models.Model`), spelled where it is generated.
  for (const symbol of symbols.values())
    if (symbol.qualifier)
      for (const literal of quotedEitherWay(`${symbol.qualifier}.${symbol.name}`)) messages.add(literal);
  // Check and lint codes (Django's `admin.E108`, pylint's `C0103`) are spelled where they are raised.
  for (const match of text.matchAll(/\b[A-Z]{1,2}\d{3,4}\b/g))
    for (const quoted of [`${match[0]}"`, `${match[0]}'`]) messages.add(quoted);
  // Command-line options are spelled literally where they are declared.
  for (const match of text.matchAll(/(?<![\w-])--[a-z][\w-]{2,}/g)) messages.add(match[0]);

  // A subcommand run at a shell prompt (`$ flask routes`, `$ ./manage.py dbshell`) is declared
  // with its name in quotes (`@click.command("routes")`).
  for (const match of text.matchAll(SHELL_SUBCOMMAND))
    for (const quoted of quotedEitherWay(match[1] ?? "")) messages.add(quoted);

  return {
    frames,
    symbols: [...symbols.values()].sort((left, right) => right.strength - left.strength),
    messages: [...messages],
  };
}

/**
 * Names an error line calls or quotes (`foo()`, `'attr'`) or writes as code: what failed, or what was
 * called wrongly. A quoted word that is plain English (`'float'` is a type, too) is kept as well:
 * it only counts where the repository defines it.
 */
function namesInErrors(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(ERROR_LINE)) {
    const line = match[1] ?? "";
    for (const word of line.matchAll(/[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*/g)) {
      const at = word.index ?? 0;
      const after = line[at + word[0].length];
      const quoted = line[at - 1] === "'" && after === "'";
      if (after === "(" || quoted || looksLikeCode(word[0])) names.push(word[0]);
    }
  }
  return names;
}

/**
 * IPython's tracebacks: a `path.py in func(args)` line, then the frame's source with the current
 * line marked `--> 651`.
 */
function ipythonFrames(text: string): Frame[] {
  const frames: Frame[] = [];
  const lines = text.split("\n");
  let offset = 0;
  let open: { path: string; func: string; order: number } | undefined;
  for (const line of lines) {
    const header = /^(\S+\.py) in ([A-Za-z_]\w*)/.exec(line);
    if (header)
      open = { path: (header[1] ?? "").replaceAll("\\", "/"), func: header[2] ?? "", order: offset };
    const marked = open && /^-+>\s*(\d+)/.exec(line);
    if (open && marked) {
      frames.push({ path: open.path, line: Number(marked[1]), func: open.func, order: open.order });
      open = undefined;
    }
    offset += line.length + 1;
  }
  return frames;
}

/**
 * The parts of an error message that the code most likely spells literally: runs between quoted
 * values, numbers and reprs, which a format string fills in at run time.
 */
export function literalPieces(message: string): string[] {
  return message
    .split(/'[^']*'|"[^"]*"|<[^>]*>|\([^)]*\)|\[[^\]]*\]|\{[^}]*\}|\b\d[\w.]*/)
    .map((piece) => piece.trim().replace(/[\s:,.]+$/, ""))
    .filter((piece) => piece.length >= 16 && /[a-z]{3,}/i.test(piece) && piece.split(" ").length >= 3);
}

/** snake_case, CamelCase, dotted or dunder: a word written as code, not as English. */
function looksLikeCode(word: string): boolean {
  return (
    word.includes(".") || /[a-z0-9]_[a-z0-9]|^_/i.test(word) || /[a-z][A-Z]|^[A-Z][a-z]+[A-Z]/.test(word)
  );
}

/**
 * The literals worth following: those found in at most a few files. Python's own messages (`is not
 * defined`, `object has no attribute`) occur all over and point nowhere.
 */
export function distinctiveLiterals(
  literals: readonly string[],
  documents: ReadonlyMap<string, string>,
): string[] {
  return literals.filter((literal) => {
    let count = 0;
    // Tests repeat messages and options all over; where the code spells them is what counts.
    for (const [path, text] of documents)
      if (!isTestPath(path) && text.includes(literal) && ++count > 3) return false;
    return count > 0;
  });
}
