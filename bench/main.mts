// npm run bench — prints figures measured side by side in one run (never asserted in tests).
// Real-repository figures need a folder of mirrors: SWEGATE_BENCH_REPO_URL (e.g. /mirrors/{owner}+{name}/repo),
// SWEGATE_BENCH_REPO (owner/name) and SWEGATE_BENCH_COMMIT; without them that part says what it needs.
import { benchContext } from "./context-bench.js";
import { benchDataset } from "./dataset-bench.js";
import { benchGates } from "./gates-bench.js";
import { benchGrading } from "./grading-bench.js";
import { benchIsolation } from "./isolation-bench.js";
import { benchQueue } from "./queue-bench.js";
import { benchRun } from "./run-bench.js";
import { benchSpecEnvironment } from "./spec-environment-bench.js";
import { benchWorkspace } from "./workspace-bench.js";

for (const line of await benchDataset()) console.log(line);
for (const line of await benchGrading()) console.log(line);
for (const line of await benchGates()) console.log(line);
for (const line of await benchWorkspace()) console.log(line);
for (const line of await benchIsolation()) console.log(line);
for (const line of await benchSpecEnvironment()) console.log(line);
for (const line of await benchRun()) console.log(line);
for (const line of await benchQueue()) console.log(line);
for (const line of await benchContext()) console.log(line);
