import type { Command } from "commander";
import { registerContextCommand } from "./context.js";
import { registerDatasetCommand } from "./dataset.js";
import { registerEditsCommand } from "./edits.js";
import { registerEnvCommand } from "./env.js";
import { registerEvalCommand } from "./eval.js";
import { registerGradeCommand } from "./grade.js";
import { registerKeysAndVerifyCommands } from "./keys.js";
import { registerRampCommand } from "./ramp.js";
import { registerReportCommands } from "./report.js";
import { registerRunCommand } from "./run.js";
import { registerRunsCommands } from "./runs.js";
import { registerValidateCommand } from "./validate.js";
import { registerWorkerCommand } from "./worker.js";
import { registerWorkersCommand } from "./workers.js";

/** Every command, registered in the order `--help` lists them. The CLI is the only place that wires modules. */
export function registerCommands(program: Command): void {
  registerRunCommand(program);
  registerRampCommand(program);
  registerValidateCommand(program);
  registerWorkerCommand(program);
  registerWorkersCommand(program);
  registerGradeCommand(program);
  registerEvalCommand(program);
  registerRunsCommands(program);
  registerKeysAndVerifyCommands(program);
  registerEnvCommand(program);
  registerReportCommands(program);
  registerDatasetCommand(program);
  registerEditsCommand(program);
  registerContextCommand(program);
}
