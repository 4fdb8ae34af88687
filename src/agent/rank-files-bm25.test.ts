import { describe, expect, it } from "vitest";
import { countDocuments } from "../context/choose-candidate-files.js";
import { countTerms, rankFilesBm25, tokenize } from "./rank-files-bm25.js";

const SOURCE = [
  "from django.db.backends.base.client import BaseDatabaseClient",
  "",
  "class DatabaseClient(BaseDatabaseClient):",
  '    executable_name = "psql"',
  "",
  "    @classmethod",
  "    def settings_to_cmd_args_env(cls, settings_dict, parameters):",
  "        args = [cls.executable_name]",
  "        dbname = settings_dict.get('NAME') or 'postgres'",
  "        if dbname: args += [dbname]",
  "        args.extend(parameters)",
  "        return args, None",
  "",
  "    def runShell(self, parameters):",
  "        return super().runshell(parameters)",
  "",
].join("\n");

/** Counts of `wanted` terms among `tokenize`'s tokens: what `countTerms` must give without the list. */
function viaTokenize(text: string, wanted: ReadonlySet<string>) {
  const tokens = tokenize(text);
  const counts = new Map<string, number>();
  for (const token of tokens) if (wanted.has(token)) counts.set(token, (counts.get(token) ?? 0) + 1);
  return { length: tokens.length, counts };
}

describe("countTerms", () => {
  it("counts what tokenize gives: snake_case and camelCase parts, stop words left out", () => {
    const wanted = new Set([
      "settings",
      "cmd",
      "runshell",
      "shell",
      "executable_name",
      "name",
      "the",
      "parameters",
    ]);
    const counted = countTerms(SOURCE, wanted);
    expect(counted).toEqual(viaTokenize(SOURCE, wanted));
    expect(counted.counts.get("shell")).toBe(1);
    expect(counted.counts.get("runshell")).toBe(2);
  });
});

describe("countDocuments", () => {
  it("gives each file the counts of its path and text counted together, and each piece its own", () => {
    const issue = "dbshell: psql parameters must come before the dbname; settings_to_cmd_args_env";
    const documents = new Map([
      ["django/db/backends/postgresql/client.py", SOURCE],
      ["docs/ref/django-admin.txt", "dbshell runs psql with the parameters"],
    ]);
    const counted = countDocuments(issue, documents);
    const wanted = new Set(counted.terms);
    for (const [path, text] of documents)
      expect(counted.files.get(path)).toEqual(viaTokenize(`${path.replaceAll("/", " ")} ${text}`, wanted));
    // Pieces of the Python file only, cut at each `def`/`class` line: the imports, the class header (and
    // the decorator of the next method), and each method.
    expect([...counted.pieces.keys()]).toEqual([
      "django/db/backends/postgresql/client.py#0",
      "django/db/backends/postgresql/client.py#2",
      "django/db/backends/postgresql/client.py#6",
      "django/db/backends/postgresql/client.py#13",
    ]);
    const lengths = [...counted.pieces.values()].reduce((sum, piece) => sum + piece.length, 0);
    const pathLength = tokenize("django db backends postgresql client.py").length;
    expect(lengths - 3 * pathLength).toBe(
      counted.files.get("django/db/backends/postgresql/client.py")?.length,
    );
  });

  it("ranks the same files as BM25 over the texts", () => {
    const issue = "psql parameters before dbname";
    const documents = new Map([
      ["a/client.py", SOURCE],
      ["b/other.py", "def other():\n    return 'dbname'\n"],
      ["c/empty.py", "x = 1\n"],
    ]);
    const ranked = rankFilesBm25(issue, new Map(documents), 5);
    expect(ranked.map((entry) => entry.path)).toEqual(["a/client.py", "b/other.py"]);
  });
});
