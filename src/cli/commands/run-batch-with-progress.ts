import { type BatchOptions, type BatchOutcome, runBatch } from "../../run/run-batch.js";
import { interruptOnSignals } from "../interrupt-on-signals.js";
import type { createProgressReporter } from "../progress/create-progress-reporter.js";

/**
 * Runs a batch that Ctrl-C interrupts gracefully, its events shown by `reporter` (stopped once the
 * batch ends). Shared by run and ramp: each phase of a ramp is a batch of its own. Also returns the
 * exit code the signal that interrupted it calls for, if one did.
 */
export async function runBatchWithProgress(
  reporter: ReturnType<typeof createProgressReporter>,
  batch: Omit<BatchOptions, "onEvent" | "signal">,
  whatAnInterruptDoes?: string,
): Promise<BatchOutcome & { signalExitCode: number | undefined }> {
  const interrupt = interruptOnSignals(whatAnInterruptDoes);
  const outcome = await runBatch({ ...batch, onEvent: reporter.onEvent, signal: interrupt.signal }).finally(
    () => interrupt.dispose(),
  );
  reporter.stop();
  return { ...outcome, signalExitCode: interrupt.exitCode() };
}
