import { existsSync, lstatSync, readFileSync } from "node:fs";
import { confinePath } from "./confine-path.js";
import { splitLines } from "./match-lines.js";

/** A file as its blocks see it while an answer is applied. */
export interface FileState {
  /** Where the file is on disk. */
  absolute: string;
  /** The file's text before any block, or null when it does not exist. */
  original: string | null;
  /** The file's lines as the blocks applied so far leave them. */
  lines: string[];
  /** Whether the text ends with a newline. */
  finalNewline: boolean;
  /** Whether every line ends with CRLF (REPLACE lines then get `\r` too). */
  crlf: boolean;
  /** 0-based line just after the last block applied to this file: a SEARCH found in several places goes to the first at or after it. */
  cursor: number;
}

/** A file's state before its first block, or why it cannot be edited. */
export function readFileState(root: string, path: string): FileState | string {
  const confined = confinePath(root, path);
  if (!confined.ok) return confined.reason;
  if (!existsSync(confined.absolute))
    return {
      absolute: confined.absolute,
      original: null,
      lines: [],
      finalNewline: true,
      crlf: false,
      cursor: 0,
    };
  if (!lstatSync(confined.absolute).isFile()) return "the path is not a regular file";
  const original = readFileSync(confined.absolute, "utf8");
  const { lines, finalNewline } = splitLines(original);
  const newlines = original.split("\n").length - 1;
  const crlf = newlines > 0 && original.split("\r\n").length - 1 === newlines;
  return { absolute: confined.absolute, original, lines, finalNewline, crlf, cursor: 0 };
}
