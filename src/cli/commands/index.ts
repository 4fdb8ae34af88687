import type { Command } from "commander";

/** Every command, registered in the order `--help` lists them. The CLI is the only place that wires modules. */
export function registerCommands(_program: Command): void {}
