/** One file named by a unified diff. */
export interface PatchFile {
  /** Path after the change (the `b/` side of `diff --git a/… b/…`). */
  path: string;
  /** Path before the change (differs from `path` only for renames). */
  oldPath: string;
  /** What the diff does to the file. */
  status: "added" | "deleted" | "modified" | "renamed";
}

const HEADER = /^diff --git a\/(.+?) b\/(.+)$/;

/**
 * Lists the files a unified diff touches, in order, from its `diff --git a/X b/Y` headers — the same
 * headers the SWE-bench harness reads to pick test files. Paths containing " b/" are split at the
 * first " b/" whose halves agree when the file is not renamed.
 */
export function listPatchFiles(patch: string): PatchFile[] {
  const files: PatchFile[] = [];
  let current: PatchFile | undefined;
  for (const line of patch.split("\n")) {
    const header = HEADER.exec(line.replace(/\r$/, ""));
    if (header) {
      const [oldPath, path] = splitHeaderPaths(line.replace(/\r$/, ""), header[1] ?? "", header[2] ?? "");
      current = { path, oldPath, status: oldPath === path ? "modified" : "renamed" };
      files.push(current);
      continue;
    }
    if (!current) continue;
    if (line.startsWith("new file mode")) current.status = "added";
    else if (line.startsWith("deleted file mode")) current.status = "deleted";
    else if (line.startsWith("--- /dev/null")) current.status = "added";
    else if (line.startsWith("+++ /dev/null")) current.status = "deleted";
  }
  return files;
}

function splitHeaderPaths(line: string, lazyOld: string, lazyNew: string): [string, string] {
  // `diff --git a/x b/y b/x b/y` is ambiguous; prefer the split where both sides agree.
  const rest = line.slice("diff --git a/".length);
  const half = (rest.length - " b/".length) / 2;
  if (
    Number.isInteger(half) &&
    rest.slice(half, half + 3) === " b/" &&
    rest.slice(0, half) === rest.slice(half + 3)
  ) {
    const path = rest.slice(0, half);
    return [path, path];
  }
  return [lazyOld, lazyNew];
}
