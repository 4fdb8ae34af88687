import { UserError } from "../errors.js";
import type { Store } from "../store/open-store.js";
import type { RunRecord } from "../store/records.js";

/** The run with this id, or a one-line user error naming the store and how to list runs. */
export function requireRun(store: Store, runId: string, flag = `--store=${store.dir}`): RunRecord {
  const run = store.getRun(runId);
  if (!run) throw new UserError(`no run ${runId}`, { where: flag, hint: "see swegate runs" });
  return run;
}
