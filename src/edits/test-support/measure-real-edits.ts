// Prints, for every real answer in fixtures/real-edits-sample.jsonl, whether parseEdits + applyEdits
// give the answering system's files, and the totals. Run: npx tsx src/edits/test-support/measure-real-edits.ts
import { loadRealEdits, recordName, replayRealEdit } from "./real-edits.js";

const records = loadRealEdits();
const counts = { reproduced: 0, differs: 0, "no-base-files": 0 };
for (const record of records) {
  const outcome = await replayRealEdit(record);
  counts[outcome.status]++;
  const failed = (outcome.result?.failed ?? []).map((entry) => `#${entry.blockIndex + 1} ${entry.reason}`);
  const methods = (outcome.result?.applied ?? []).map((entry) => entry.method);
  const detail = [
    methods.length > 0 ? `methods ${methods.join(",")}` : "",
    outcome.differing.length > 0 ? `differs: ${outcome.differing.join(", ")}` : "",
    failed.length > 0 ? `failed: ${failed.join("; ")}` : "",
    outcome.problems.length > 0
      ? `problems: ${outcome.problems.map((problem) => problem.message).join("; ")}`
      : "",
  ].filter(Boolean);
  console.log(
    `${recordName(record)}: ${outcome.status}${detail.length > 0 ? ` (${detail.join(" | ")})` : ""}`,
  );
}
const compared = counts.reproduced + counts.differs;
console.log(
  `${counts.reproduced} of ${compared} comparable answers reproduce the answering system's files; ${counts["no-base-files"]} of ${records.length} have no base files in the fixtures`,
);
