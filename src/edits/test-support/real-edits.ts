import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { GIT_CONFIG_ISOLATION } from "../../workspace/git.js";
import { applyEdits, type EditsResult } from "../apply-edits.js";
import { type ParseProblem, parseEdits } from "../parse-edits.js";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures");

/** One real model answer of fixtures/real-edits-sample.jsonl (see fixtures/README.md). */
export interface RealEditRecord {
  /** The SWE-bench instance the answer is for. */
  instance_id: string;
  /** The model's whole reply, byte for byte. */
  raw_answer: string;
  /** The patch the answering system built from the reply. */
  model_patch: string;
  /** Facts about the answer: system, model, base commit, aider's apply method per block. */
  meta: {
    /** Which system answered (aider or Agentless). */
    system: string;
    /** The repository's commit the answer was made against. */
    base_commit: string;
    /** How many SEARCH/REPLACE blocks the answer holds. */
    n_blocks: number;
    /** How aider matched each block ("exact", "append"), when aider answered. */
    aider_apply_methods?: string[];
    /** True when aider's stripping of quoted wrapping changed a block (its patch then differs from the answer). */
    aider_quote_stripping_changed_a_block?: boolean;
  };
}

/** What replaying one record gave. */
export interface ReplayOutcome {
  /** "no-base-files": the fixtures lack a file the patch touches, so nothing was compared. */
  status: "reproduced" | "differs" | "no-base-files";
  /** Files whose content differs from the answering system's (or that only one side has). */
  differing: string[];
  /** For each differing file, the answering system's text and ours (absent on the side that lacks it). */
  contents: Record<string, { expected?: string; actual?: string }>;
  /** What applyEdits reported (absent when nothing ran). */
  result?: EditsResult;
  /** What parseEdits could not read. */
  problems: ParseProblem[];
}

/** The records, in file order. */
export function loadRealEdits(): RealEditRecord[] {
  return readFileSync(join(FIXTURES, "real-edits-sample.jsonl"), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as RealEditRecord);
}

/** A record's name in reports: its instance id, plus the system when it is not aider. */
export function recordName(record: RealEditRecord): string {
  return record.meta.system.startsWith("aider") ? record.instance_id : `${record.instance_id} (Agentless)`;
}

function listFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort();
}

/**
 * Applies the record's answer with parseEdits/applyEdits to a copy of its base files, and its
 * model_patch with `git apply` to another copy, and compares every file. The base files are the
 * tracked files the applier may redirect a block to.
 */
export async function replayRealEdit(record: RealEditRecord): Promise<ReplayOutcome> {
  const base = join(FIXTURES, "real-edits", record.instance_id);
  const tracked = listFiles(base);
  const touched = [...record.model_patch.matchAll(/^diff --git a\/(\S+) b\//gm)].map((match) => match[1]);
  const { edits, problems } = parseEdits(record.raw_answer);
  if (touched.some((path) => !tracked.includes(path as string)))
    return { status: "no-base-files", differing: [], contents: {}, problems };
  const expected = mkdtempSync(join(tmpdir(), "swegate-real-expected-"));
  const actual = mkdtempSync(join(tmpdir(), "swegate-real-actual-"));
  try {
    cpSync(base, expected, { recursive: true });
    cpSync(base, actual, { recursive: true });
    const applied = spawnSync("git", ["apply", "--whitespace=nowarn", "-"], {
      cwd: expected,
      input: record.model_patch,
      encoding: "utf8",
      env: { ...process.env, ...GIT_CONFIG_ISOLATION },
    });
    if (applied.status !== 0) throw new Error(`model_patch of ${recordName(record)}: ${applied.stderr}`);
    const result = await applyEdits(actual, edits, { trackedFiles: tracked });
    const paths = [...new Set([...listFiles(expected), ...listFiles(actual)])];
    const read = (root: string, path: string) =>
      existsSync(join(root, path)) ? readFileSync(join(root, path), "utf8") : undefined;
    const differing = paths.filter((path) => read(expected, path) !== read(actual, path));
    const contents = Object.fromEntries(
      differing.map((path) => [path, { expected: read(expected, path), actual: read(actual, path) }]),
    );
    return {
      status: differing.length === 0 ? "reproduced" : "differs",
      differing,
      contents,
      result,
      problems,
    };
  } finally {
    rmSync(expected, { recursive: true, force: true });
    rmSync(actual, { recursive: true, force: true });
  }
}
