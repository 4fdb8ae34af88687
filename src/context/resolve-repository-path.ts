/**
 * The repository file a path written in an issue means: itself when the checkout has it, else the
 * longest repository path it ends with (tracebacks carry absolute site-packages paths such as
 * `/usr/lib/python3/site-packages/flask/app.py`).
 */
export function resolveRepositoryPath(
  written: string,
  repositoryFiles: readonly string[],
): string | undefined {
  const cleaned = written.replace(/^\.?\//, "");
  if (repositoryFiles.includes(cleaned)) return cleaned;
  let best: string | undefined;
  for (const file of repositoryFiles)
    if (cleaned.endsWith(`/${file}`) && (!best || file.length > best.length)) best = file;
  // Installed packages drop the source folder (`src/_pytest/x.py` is `_pytest/x.py` in a traceback).
  if (!best)
    for (const file of repositoryFiles) {
      const inner = file.slice(file.indexOf("/") + 1);
      if (inner.includes("/") && `/${cleaned}`.endsWith(`/${inner}`) && (!best || file.length > best.length))
        best = file;
    }
  return best;
}
