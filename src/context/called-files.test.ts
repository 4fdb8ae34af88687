import { describe, expect, it } from "vitest";
import { withCalledFiles } from "./called-files.js";
import { type CandidateFile, definingFiles } from "./choose-candidate-files.js";
import type { FileOutline } from "./outline-python-files.js";

const DBSHELL = [
  "from django.core.management.base import BaseCommand, CommandError",
  "",
  "class Command(BaseCommand):",
  "    def handle(self, **options):",
  "        try:",
  '            connection.client.runshell(options["parameters"])',
  "        except FileNotFoundError as e:",
  '            raise CommandError(" ".join(e.cmd))',
  "",
].join("\n");

const documents = new Map([
  ["django/core/management/commands/dbshell.py", DBSHELL],
  ["django/core/management/base.py", "class CommandError(Exception):\n    pass\n"],
  [
    "django/db/backends/base/client.py",
    "class BaseDatabaseClient:\n    def runshell(self, parameters):\n        raise NotImplementedError\n",
  ],
  [
    "django/db/backends/postgresql/client.py",
    "class DatabaseClient:\n    def runshell(self, parameters):\n        pass\n",
  ],
  [
    "django/db/backends/mysql/client.py",
    "class DatabaseClient:\n    def runshell(self, parameters):\n        pass\n",
  ],
  [
    "django/db/backends/oracle/client.py",
    "class DatabaseClient:\n    def runshell(self, parameters):\n        pass\n",
  ],
  ["django/db/models/sql/query.py", "class Query:\n    def join(self, join):\n        pass\n"],
  ["django/utils/text.py", "def compress(data):\n    return data\n"],
  [
    "django/core/files/storage.py",
    "from django.utils.text import compress\n\ndef save(name, content):\n    return compress(content)\n",
  ],
]);

const candidate = (path: string, reason: CandidateFile["reason"]): CandidateFile => ({
  path,
  reason,
  bm25: 0,
});

describe("withCalledFiles", () => {
  it("of a module the issue names, marks the definer in the folder the issue names, not the others", () => {
    const issue = "dbshell additional parameters should be passed before dbname on PostgreSQL.";
    const candidates = [
      candidate("django/core/management/commands/dbshell.py", "module"),
      candidate("django/db/models/sql/query.py", "retrieved"),
    ];
    const widened = withCalledFiles(issue, candidates, new Map(), documents, [], definingFiles(documents));
    // Four backends define runshell: only the PostgreSQL one is meant, and strongly. `" ".join` is
    // a string's method, not Query.join; raising CommandError is not where the work goes on.
    expect(widened.filter((entry) => entry.called)).toEqual([
      {
        path: "django/db/backends/postgresql/client.py",
        reason: "called",
        bm25: 0,
        called: 2,
        calledNames: ["runshell"],
      },
    ]);
  });

  it("without a folder word, leaves a name defined in many files alone", () => {
    const issue = "dbshell drops its parameters.";
    const candidates = [candidate("django/core/management/commands/dbshell.py", "module")];
    const widened = withCalledFiles(issue, candidates, new Map(), documents, [], definingFiles(documents));
    expect(widened.filter((entry) => entry.called)).toEqual([]);
  });

  it("follows the function a traceback frame runs in to the file of what it calls", () => {
    const outline: FileOutline = {
      path: "django/core/files/storage.py",
      imports: [[1, 1]],
      definitions: [{ name: "save", qualname: "save", kind: "function", start: 3, end: 4, headerEnd: 3 }],
    };
    const candidates = [candidate("django/core/files/storage.py", "traceback")];
    const widened = withCalledFiles(
      "saving fails",
      candidates,
      new Map([[outline.path, outline]]),
      documents,
      [{ path: "django/core/files/storage.py", line: 4, order: 0 }],
      definingFiles(documents),
    );
    expect(widened.map((entry) => [entry.path, entry.reason, entry.called])).toEqual([
      ["django/core/files/storage.py", "traceback", undefined],
      ["django/utils/text.py", "called", 1],
    ]);
  });

  it("reads the body of a function the issue's code calls, not its docstring's examples", () => {
    const queryset = [
      "class QuerySet:",
      "    def annotate(self, *args):",
      '        """',
      "        >>> qs.annotate(total=aggregate_rows(x))",
      '        """',
      "        clone = self._chain()",
      "        clone.query.add_annotation(args)",
      "        clone.query.set_group_by()",
      "        return clone",
      "",
      "    def _chain(self):",
      "        return self",
      "",
    ].join("\n");
    const code = new Map([
      ["db/models/query.py", queryset],
      [
        "db/models/sql/query.py",
        "class Query:\n    def set_group_by(self):\n        pass\n\n    def add_annotation(self, a):\n        pass\n",
      ],
      ["db/models/aggregates.py", "def aggregate_rows(x):\n    return x\n"],
      ["db/models/lookups.py", "def annotate(value):\n    return group_rows(value)\n"],
      ["db/models/grouping.py", "def group_rows(value):\n    return value\n"],
    ]);
    const outline: FileOutline = {
      path: "db/models/query.py",
      imports: [],
      definitions: [
        {
          name: "QuerySet",
          qualname: "QuerySet",
          kind: "class",
          start: 1,
          end: 12,
          headerEnd: 1,
          firstChildStart: 2,
        },
        { name: "annotate", qualname: "QuerySet.annotate", kind: "method", start: 2, end: 9, headerEnd: 2 },
        { name: "_chain", qualname: "QuerySet._chain", kind: "method", start: 11, end: 12, headerEnd: 11 },
      ],
    };
    const lookups: FileOutline = {
      path: "db/models/lookups.py",
      imports: [],
      definitions: [
        { name: "annotate", qualname: "annotate", kind: "function", start: 1, end: 2, headerEnd: 1 },
      ],
    };
    const issue = "Wrong GROUP BY:\n```\nanswer = A.objects.values('s').annotate(total=Count('s'))\n```";
    const widened = withCalledFiles(
      issue,
      [candidate("db/models/query.py", "symbol"), candidate("db/models/lookups.py", "retrieved")],
      new Map([
        [outline.path, outline],
        [lookups.path, lookups],
      ]),
      code,
      [],
      definingFiles(code),
    );
    // `.annotate(` is a method call: QuerySet.annotate runs, not the module function `annotate`
    // (so grouping.py's `group_rows` is not reached), and the docstring's `aggregate_rows` is no call.
    expect(widened.filter((entry) => entry.called).map((entry) => [entry.path, entry.calledNames])).toEqual([
      ["db/models/sql/query.py", ["add_annotation", "set_group_by"]],
    ]);
  });
});
