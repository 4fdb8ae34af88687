import { describe, expect, it } from "vitest";
import type { Instance } from "../dataset/instance.js";
import { hostEvalCommands } from "./run-instance-tests.js";

const row = (repo: string, version: string) => ({ repo, version, extra: {} }) as unknown as Instance;

describe("hostEvalCommands", () => {
  it("keeps Django's plain exports and drops locale changes and locale-gen (they need the image)", () => {
    // specs.json, django 3.1: locale-gen plus three locale exports; 1.9 also exports PYTHONIOENCODING.
    expect(hostEvalCommands(row("django/django", "3.1"))).toEqual([]);
    expect(hostEvalCommands(row("django/django", "1.9"))).toEqual(["export PYTHONIOENCODING=utf8"]);
  });

  it("adds nothing for a repository whose spec has no eval commands", () => {
    expect(hostEvalCommands(row("pallets/flask", "2.3"))).toEqual([]);
  });
});
