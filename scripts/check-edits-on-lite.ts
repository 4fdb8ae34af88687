// Checks direct edits on real SWE-bench instances: each gold patch is rewritten as SEARCH/REPLACE
// blocks (diffToSearchReplace), applied with applyEdits and compared file by file with `git apply` of
// the same patch; then again with every block shifted uniformly (+4 spaces, and left by the blocks'
// common indentation where they have one); then one block made ambiguous and one made missing must
// come back with line numbers and did-you-mean lines. Not a CI test: it needs fetched mirrors.
//
// Run: SWEGATE_MIRRORS='<dir>/{owner}+{name}/repo' SWEGATE_MIRROR_ALIASES='django/django=apprent1c3/django' \
//        npx tsx scripts/check-edits-on-lite.ts DATASET.jsonl [--field test_patch]
// (--field picks the diff to convert: `patch`, the gold fix, by default; `test_patch` has more hunks
// and new files; --context N first re-diffs the change with N context lines, so with 0 every SEARCH
// must grow, and nearby hunks merge, to be unique.)
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyEdits } from "../src/edits/apply-edits.js";
import { describeEditResult } from "../src/edits/describe-edit-failures.js";
import { diffToSearchReplace, type SearchReplaceEdit } from "../src/edits/diff-to-search-replace.js";
import { findLineMatches, splitLines } from "../src/edits/match-lines.js";
import { parseEdits } from "../src/edits/parse-edits.js";
import { parseUnifiedDiff } from "../src/edits/parse-unified-diff.js";

interface Row {
  instance_id: string;
  repo: string;
  base_commit: string;
  patch: string;
  [field: string]: unknown;
}

const datasetPath = process.argv[2];
const fieldFlag = process.argv.indexOf("--field");
const field = fieldFlag > 0 ? (process.argv[fieldFlag + 1] ?? "patch") : "patch";
const contextFlag = process.argv.indexOf("--context");
const context = contextFlag > 0 ? Number(process.argv[contextFlag + 1]) : undefined;
const template = process.env.SWEGATE_MIRRORS;
if (!datasetPath || !template) {
  console.error(
    "usage: SWEGATE_MIRRORS='<dir>/{owner}+{name}/repo' npx tsx scripts/check-edits-on-lite.ts DATASET.jsonl",
  );
  process.exit(2);
}
const aliases = new Map(
  (process.env.SWEGATE_MIRROR_ALIASES ?? "")
    .split(",")
    .filter(Boolean)
    .map((pair) => pair.split("=") as [string, string]),
);
const mirrorOf = (repo: string) => {
  const [owner, name] = (aliases.get(repo) ?? repo).split("/");
  return template.replaceAll("{owner}", owner ?? "").replaceAll("{name}", name ?? "");
};

const scratch = mkdtempSync(join(tmpdir(), "swegate-edits-lite-"));
process.on("exit", () => rmSync(scratch, { recursive: true, force: true }));

/** The files a patch touches, at base_commit, in a fresh folder (a partial `git archive`). */
function checkout(mirror: string, row: Row, paths: string[], label: string): string {
  const folder = mkdtempSync(join(scratch, `${row.instance_id}-${label}-`));
  const archive = execFileSync(
    "git",
    ["--git-dir", mirror, "archive", "--format=tar", row.base_commit, "--", ...paths],
    {
      maxBuffer: 512 * 1024 * 1024,
    },
  );
  execFileSync("tar", ["-x", "-C", folder], { input: archive });
  return folder;
}

/** The same change as `patch`, written by git with `context` lines of context. */
function rediff(mirror: string, row: Row, patch: string, context: number): string {
  const files = parseUnifiedDiff(patch);
  const existing = files.map((file) => file.oldPath).filter((path): path is string => !!path);
  const work = checkout(mirror, row, existing, "rediff");
  const git = (args: string[], input?: string) =>
    execFileSync("git", ["-c", "user.email=check@localhost", "-c", "user.name=check", ...args], {
      cwd: work,
      input,
      encoding: "utf8",
    });
  git(["init", "-q"]);
  git(["add", "-A"]);
  git(["commit", "-qm", "base", "--allow-empty"]);
  git(["apply", "-"], patch);
  git(["add", "-A"]);
  return git(["diff", "--cached", `-U${context}`]);
}

const readAll = (folder: string, paths: string[]) =>
  paths.map((path) => (existsSync(join(folder, path)) ? readFileSync(join(folder, path), "utf8") : null));
const sameFiles = (left: string, right: string, paths: string[]) =>
  JSON.stringify(readAll(left, paths)) === JSON.stringify(readAll(right, paths));

/** Every non-blank line of SEARCH and REPLACE moved right by `add` or left by `cut` characters. */
function shiftBlocks(edits: SearchReplaceEdit[], shift: (lines: string[]) => string[] | undefined) {
  let shifted = 0;
  const result = edits.map((edit) => {
    if (!edit.search) return edit;
    const search = splitLines(edit.search).lines;
    const replace = splitLines(edit.replace).lines;
    const moved = shift([...search, ...replace]);
    if (!moved) return edit;
    shifted++;
    const text = (lines: string[]) => (lines.length ? `${lines.join("\n")}\n` : "");
    return {
      ...edit,
      search: text(moved.slice(0, search.length)),
      replace: text(moved.slice(search.length)),
    };
  });
  return { edits: result, shifted };
}
const right4 = (lines: string[]) => lines.map((line) => (line.trim() ? `    ${line}` : line));
const leftCommon = (lines: string[]) => {
  const indents = lines.filter((line) => line.trim()).map((line) => /^ */.exec(line)?.[0].length ?? 0);
  const cut = Math.min(...indents);
  return cut > 0 && Number.isFinite(cut)
    ? lines.map((line) => (line.trim() ? line.slice(cut) : line))
    : undefined;
};

const rows: Row[] = readFileSync(datasetPath, "utf8")
  .split("\n")
  .filter((line) => line.trim())
  .map((line) => JSON.parse(line));
const table: string[][] = [
  [
    "instance",
    "files",
    "blocks",
    "merged",
    "exact",
    "+4 same",
    "left same",
    "ambiguous",
    "did-you-mean",
    "problems",
  ],
];
const skipped = new Map<string, number>();
const totals = { instances: 0, exact: 0, ambiguous: 0, missing: 0 };
/** Outcomes of the shifted runs: identical, refused as ambiguous, shift made a different valid block, wrong. */
const shiftTotals = new Map<string, number>();
for (const row of rows) {
  const mirror = mirrorOf(row.repo);
  if (!existsSync(mirror)) {
    skipped.set(row.repo, (skipped.get(row.repo) ?? 0) + 1);
    continue;
  }
  totals.instances++;
  const given = String(row[field] ?? "");
  const patch = context === undefined ? given : rediff(mirror, row, given, context);
  const files = parseUnifiedDiff(patch);
  const paths = [
    ...new Set(
      files.flatMap((file) => [file.oldPath, file.newPath]).filter((path): path is string => !!path),
    ),
  ];
  const existing = files.map((file) => file.oldPath).filter((path): path is string => !!path);
  const gold = checkout(mirror, row, existing, "gold");
  execFileSync("git", ["apply", ...(context === 0 ? ["--unidiff-zero"] : []), "-"], {
    cwd: gold,
    input: patch,
  });

  const base = checkout(mirror, row, existing, "base");
  const read = (path: string) =>
    existsSync(join(base, path)) ? readFileSync(join(base, path), "utf8") : undefined;
  const conversion = diffToSearchReplace(patch, read);
  const parsed = parseEdits(conversion.text);
  const roundTrip = JSON.stringify(parsed.edits) === JSON.stringify(conversion.edits);
  const hunks = files.reduce((sum, file) => sum + file.hunks.length, 0);

  const run = async (edits: SearchReplaceEdit[], label: string) => {
    const folder = checkout(mirror, row, existing, label);
    const result = await applyEdits(folder, edits);
    return { result, same: result.failed.length === 0 && sameFiles(folder, gold, paths) };
  };
  const exact = await run(parsed.edits as SearchReplaceEdit[], "exact");
  const right = shiftBlocks(conversion.edits, right4);
  const rightRun = await run(right.edits, "right");
  const left = shiftBlocks(conversion.edits, leftCommon);
  const leftRun = left.shifted > 0 ? await run(left.edits, "left") : undefined;
  // A shifted SEARCH that matches the file exactly somewhere is a different, valid block (exact
  // wins); applying it there is right, so such a case says nothing about the indentation rung.
  const collides = (edits: SearchReplaceEdit[]) =>
    edits.some(
      (edit, index) =>
        edit.search !== conversion.edits[index]?.search &&
        findLineMatches(splitLines(read(edit.path) ?? "").lines, splitLines(edit.search).lines).length > 0,
    );
  const judge = (
    outcome: { same: boolean; result: { failed: { reason: string }[] } },
    edits: SearchReplaceEdit[],
  ) => {
    const verdict = outcome.same
      ? "yes"
      : outcome.result.failed.some((failure) => failure.reason.startsWith("SEARCH matches"))
        ? "refused-ambiguous"
        : collides(edits)
          ? "collides"
          : "WRONG";
    shiftTotals.set(verdict, (shiftTotals.get(verdict) ?? 0) + 1);
    return verdict;
  };

  // Ambiguous: the most repeated non-blank line of the first edited file as the whole SEARCH.
  const first = conversion.edits.find((edit) => edit.search);
  let ambiguousOk = "n/a";
  let missingOk = "n/a";
  if (first) {
    const lines = splitLines(read(first.path) ?? "").lines;
    const counts = new Map<string, number>();
    for (const line of lines) if (line.trim().length > 3) counts.set(line, (counts.get(line) ?? 0) + 1);
    const [repeated, count] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? ["", 0];
    const ambiguous = await applyEdits(base, [{ ...first, search: `${repeated}\n`, replace: "" }], {
      dryRun: true,
    });
    const reason = ambiguous.failed[0]?.reason ?? "";
    ambiguousOk = reason.startsWith(`SEARCH matches ${count} places (lines `)
      ? `ok (${count})`
      : `NO: ${reason}`;
    // Missing: one SEARCH line changed, as a model misremembering it; did-you-mean must show the real place.
    const search = splitLines(first.search).lines;
    const middle = Math.floor(search.length / 2);
    const wrong = search.map((line, index) => (index === middle ? `${line} # misremembered` : line));
    const truth = lines.findIndex((_, at) => search.every((line, offset) => lines[at + offset] === line)) + 1;
    const missing = await applyEdits(base, [{ ...first, search: `${wrong.join("\n")}\n` }], { dryRun: true });
    const near = missing.failed[0]?.didYouMean;
    missingOk =
      near?.firstLine === truth
        ? `ok (${truth}-${near.lastLine})`
        : `NO: ${describeEditResult(missing).slice(0, 80)}`;
    if (near?.firstLine === truth) totals.missing++;
    if (ambiguousOk.startsWith("ok")) totals.ambiguous++;
  }
  if (exact.same && roundTrip) totals.exact++;
  const methods = (outcome: { result: { applied: { method: string }[] } }) => {
    const counts = new Map<string, number>();
    for (const entry of outcome.result.applied) counts.set(entry.method, (counts.get(entry.method) ?? 0) + 1);
    return [...counts].map(([method, count]) => `${method}×${count}`).join(" ");
  };
  const failures = (outcome: { result: { failed: { reason: string }[] } }) =>
    outcome.result.failed.map((failure) => failure.reason).join("; ");
  table.push([
    row.instance_id,
    String(paths.length),
    String(conversion.edits.length),
    String(hunks - conversion.edits.length),
    exact.same && roundTrip ? "yes" : `NO ${roundTrip ? "" : "(round trip) "}${failures(exact)}`,
    `${judge(rightRun, right.edits)} (${methods(rightRun)})`,
    leftRun ? `${judge(leftRun, left.edits)} (${methods(leftRun)})` : "n/a",
    ambiguousOk,
    missingOk,
    conversion.problems.join("; ") || "-",
  ]);
}

const widths = (table[0] ?? []).map((_, column) =>
  Math.max(...table.map((cells) => (cells[column] ?? "").length)),
);
for (const cells of table)
  console.log(cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  "));
console.log(
  `\n${totals.instances} instances: identical to git apply ${totals.exact}/${totals.instances}, shifted runs ${[...shiftTotals].map(([verdict, count]) => `${verdict} ${count}`).join(", ")}, ambiguous named ${totals.ambiguous}/${totals.instances}, did-you-mean at the true lines ${totals.missing}/${totals.instances}`,
);
for (const [repo, count] of skipped)
  console.log(`skipped ${count} row(s) of ${repo}: no mirror at ${mirrorOf(repo)}`);
