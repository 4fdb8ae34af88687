/**
 * Finds repository files an issue text names: explicit paths, traceback frames
 * (`File "/usr/lib/.../django/db/models/query.py", line 12`) and dotted module names
 * (`django.db.models.query`). Returns paths that exist in `repositoryFiles`, in order of mention.
 */
export function findMentionedPaths(text: string, repositoryFiles: readonly string[]): string[] {
  const found: string[] = [];
  const add = (path: string) => {
    if (!found.includes(path)) found.push(path);
  };
  const bySuffix = (candidate: string) => {
    const cleaned = candidate.replace(/^\.?\//, "");
    const exact = repositoryFiles.find((file) => file === cleaned);
    if (exact) return exact;
    // Tracebacks carry absolute site-packages paths: match the longest repository suffix.
    const matches = repositoryFiles.filter((file) => cleaned.endsWith(`/${file}`));
    return matches.sort((left, right) => right.length - left.length)[0];
  };
  for (const match of text.matchAll(/[\w./-]+\.(?:py|pyx|pyi|cfg|toml|rst|txt|js|c|h)\b/g)) {
    const path = bySuffix(match[0]);
    if (path) add(path);
  }
  for (const match of text.matchAll(/\b[a-zA-Z_]\w*(?:\.[a-zA-Z_]\w*){1,}\b/g)) {
    const parts = match[0].split(".");
    // `a.b.c.func` may name module a/b/c.py or package a/b/c/__init__.py: try the longest prefix.
    for (let length = parts.length; length >= 2; length--) {
      const base = parts.slice(0, length).join("/");
      const path =
        repositoryFiles.find((file) => file === `${base}.py` || file.endsWith(`/${base}.py`)) ??
        repositoryFiles.find(
          (file) => file === `${base}/__init__.py` || file.endsWith(`/${base}/__init__.py`),
        );
      if (path) {
        add(path);
        // A package's main module often carries its name (`printing/pretty/pretty.py`): the
        // package's __init__ only re-exports it.
        const name = parts[length - 1];
        const main = path.endsWith("/__init__.py")
          ? repositoryFiles.find((file) => file === path.replace(/__init__\.py$/, `${name}.py`))
          : undefined;
        if (main) add(main);
        break;
      }
    }
  }
  return found;
}
