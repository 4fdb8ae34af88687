import type { Command } from "commander";
import { registerDatasetCommand } from "./dataset.js";
import { registerRunCommand } from "./run.js";

/** Every command, registered in the order `--help` lists them. The CLI is the only place that wires modules. */
export function registerCommands(program: Command): void {
  registerRunCommand(program);
  registerDatasetCommand(program);
}
