/** Exit codes of a process stopped by a signal, as shells report them (128 + the signal's number). */
const EXIT_CODES: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };
/** SIGHUP: the terminal closed (an ssh session dropped) under a run started without nohup or tmux. */
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

export interface Interrupt {
  /** Aborted on the first SIGINT, SIGTERM or SIGHUP. */
  signal: AbortSignal;
  /** The exit code for the signal that came (130 for Ctrl-C), or undefined when none did. */
  exitCode(): number | undefined;
  /** Gives the three signals back to Node's defaults. */
  dispose(): void;
}

/**
 * Ctrl-C (or SIGTERM, or SIGHUP) stops a long command gracefully: the first one aborts `signal` and says
 * what happens (`whatHappens`, the command's own words); a second one exits at once (the test runs
 * still going are killed as Node exits).
 */
export function interruptOnSignals(
  whatHappens = "No instance starts any more; the ones in flight are stopped and keep no result, so a resume redoes them.",
): Interrupt {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const handler = (name: NodeJS.Signals) => {
    if (received) {
      process.stderr.write(`swegate: ${name} again: quitting now\n`);
      process.exit(EXIT_CODES[name] ?? 130);
    }
    received = name;
    process.stderr.write(
      `\nswegate: ${name}: stopping. ${whatHappens} ${name === "SIGINT" ? "Ctrl-C" : name} again quits at once.\n`,
    );
    controller.abort();
  };
  for (const name of SIGNALS) process.on(name, handler);
  return {
    signal: controller.signal,
    exitCode: () => (received ? (EXIT_CODES[received] ?? 130) : undefined),
    dispose() {
      for (const name of SIGNALS) process.off(name, handler);
    },
  };
}
