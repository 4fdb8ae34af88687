import { describe, expect, it } from "vitest";
import {
  countDocuments,
  filesNamedByWords,
  filesOfBestPieces,
  importedModules,
} from "./choose-candidate-files.js";
import { readIssueEvidence } from "./issue-evidence.js";

const filler = (count: number, word = "value") =>
  Array.from({ length: count }, (_, index) => `def helper_${index}(${word}):\n    return ${word}\n`).join(
    "\n",
  );

describe("candidate files beyond the ones the issue names", () => {
  it("follows the imports of a named file: absolute, relative, a submodule imported by name, a src layout", () => {
    const documents = new Map([
      [
        "app/migrations/writer.py",
        [
          "import os",
          "from app.migrations.serializer import serializer_factory",
          "from . import loader",
          "from ..utils import (text,",
          "    timezone)",
          "import pkg.tools",
        ].join("\n"),
      ],
      ["app/migrations/serializer.py", "def serializer_factory(value):\n    return value\n"],
      ["app/migrations/loader.py", "class Loader:\n    pass\n"],
      ["app/utils/__init__.py", ""],
      ["app/utils/text.py", "def slug(value):\n    return value\n"],
      ["app/utils/timezone.py", "def now():\n    return 0\n"],
      ["src/pkg/tools.py", "def tool():\n    return 1\n"],
      ["app/tests/test_writer.py", "from app.migrations.writer import x\n"],
    ]);
    expect(importedModules(["app/migrations/writer.py"], documents)).toEqual([
      "app/migrations/serializer.py",
      "app/migrations/loader.py",
      "app/utils/text.py",
      "app/utils/timezone.py",
      "src/pkg/tools.py",
    ]);
  });

  it("takes the modules and folders a rare word of the issue names, not those a common word names", () => {
    const documents = new Map<string, string>([
      ["db/commands/dbshell.py", "def handle(parameters):\n    return parameters\n"],
      ["db/backends/postgresql/client.py", "class DatabaseClient:\n    executable_name = 'psql'\n"],
      ["db/backends/postgresql/base.py", "class DatabaseWrapper:\n    pass\n"],
      ["db/options.py", "OPTIONS = {}\n"],
    ]);
    // "options" is spelled by most files of the repository: it names its module by chance.
    for (let index = 0; index < 100; index++) documents.set(`db/mod_${index}.py`, "options = {}\n");
    const issue =
      "dbshell additional parameters should be passed before dbname on PostgreSQL. The options are lost.";
    expect(filesNamedByWords(issue, documents).sort()).toEqual([
      "db/backends/postgresql/base.py",
      "db/backends/postgresql/client.py",
      "db/commands/dbshell.py",
    ]);
  });

  it("finds a short file by its best definition where long files win as whole files", () => {
    const documents = new Map([
      // Long files repeating the issue's common words rank first as whole files.
      ...Array.from({ length: 5 }, (_, index): [string, string] => [
        `pkg/long_${index}.py`,
        `${filler(200, "args")}\ndef build(args, database):\n    return args\n`,
      ]),
      ["pkg/client.py", `${filler(3)}\ndef settings_to_cmd_args(database):\n    return ['psql', database]\n`],
    ]);
    const files = filesOfBestPieces(countDocuments("psql gets args after the database name", documents), 3);
    expect(files[0]?.path).toBe("pkg/client.py");
    expect(files.length).toBe(3);
  });
});

describe("check codes in an issue", () => {
  it("are looked for as the quoted ids the code raises them with", () => {
    const evidence = readIssueEvidence("Error E108 does not cover some cases (see also W0612).");
    expect(evidence.messages).toEqual(expect.arrayContaining(['E108"', "E108'", 'W0612"', "W0612'"]));
    expect(readIssueEvidence("Python 3.11 on x86 fails").messages).toEqual([]);
  });
});
