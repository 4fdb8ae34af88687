/** One hunk of a unified diff. */
export interface DiffHunk {
  /** 1-based first line of the hunk in the old file (0 for a hunk into an empty file). */
  oldStart: number;
  /** The hunk's context and removed lines, in order, without markers. */
  oldLines: string[];
  /** The hunk's context and added lines, in order, without markers. */
  newLines: string[];
  /** True when the old side's last line has no newline (`\ No newline at end of file`). */
  oldMissingFinalNewline: boolean;
  /** True when the new side's last line has no newline. */
  newMissingFinalNewline: boolean;
}

/** One file of a unified diff. */
export interface DiffFile {
  /** Path before the change, or null when the diff creates the file. */
  oldPath: string | null;
  /** Path after the change, or null when the diff deletes the file. */
  newPath: string | null;
  /** The hunks, in file order. */
  hunks: DiffHunk[];
}

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/** Strips `a/` or `b/` and any tab-separated timestamp from a `---`/`+++` path; /dev/null is null. */
function headerPath(raw: string): string | null {
  const path = raw.split("\t")[0]?.trim() ?? "";
  if (path === "/dev/null") return null;
  return path.replace(/^[ab]\//, "");
}

/**
 * Reads the files and hunks of a unified diff (git or plain). Hunk bodies are read by their
 * header counts, so a removed line that starts with `-- ` is not taken for a new file header.
 */
export function parseUnifiedDiff(diff: string): DiffFile[] {
  const lines = diff.replace(/\r\n/g, "\n").split("\n");
  const files: DiffFile[] = [];
  let current: DiffFile | undefined;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] as string;
    if (line.startsWith("--- ") && lines[index + 1]?.startsWith("+++ ")) {
      current = {
        oldPath: headerPath(line.slice(4)),
        newPath: headerPath((lines[index + 1] as string).slice(4)),
        hunks: [],
      };
      files.push(current);
      index++;
      continue;
    }
    const header = HUNK.exec(line);
    if (!header || !current) continue;
    let oldLeft = header[2] === undefined ? 1 : Number(header[2]);
    let newLeft = header[4] === undefined ? 1 : Number(header[4]);
    const hunk: DiffHunk = {
      oldStart: Number(header[1]),
      oldLines: [],
      newLines: [],
      oldMissingFinalNewline: false,
      newMissingFinalNewline: false,
    };
    let last: "old" | "new" | "both" = "both";
    while (index + 1 < lines.length && (oldLeft > 0 || newLeft > 0 || lines[index + 1]?.startsWith("\\"))) {
      const body = lines[++index] as string;
      const marker = body[0];
      const content = body.slice(1);
      if (marker === "\\") {
        if (last !== "new") hunk.oldMissingFinalNewline = true;
        if (last !== "old") hunk.newMissingFinalNewline = true;
        continue;
      }
      if (marker === "-") {
        hunk.oldLines.push(content);
        oldLeft--;
        last = "old";
      } else if (marker === "+") {
        hunk.newLines.push(content);
        newLeft--;
        last = "new";
      } else if (marker === " " || body === "") {
        // Some tools strip the single space of an empty context line.
        hunk.oldLines.push(content);
        hunk.newLines.push(content);
        oldLeft--;
        newLeft--;
        last = "both";
      } else {
        index--;
        break;
      }
    }
    current.hunks.push(hunk);
  }
  return files;
}
