import type { Command } from "commander";
import { listWorkers } from "../../queue/list-workers.js";
import { parseQueueAddress, requireReachable } from "../../queue/queue-connection.js";
import { printJson, printLine } from "../output.js";

export function registerWorkersCommand(program: Command): void {
  program
    .command("workers")
    .description("the live `swegate worker` processes on a queue, with the instance each is running")
    .requiredOption("--queue <url>", "the Redis the runs enqueue on (redis://HOST:PORT/DB)")
    .option("--json", "print JSON only")
    .action(async (options: { queue: string; json?: boolean }) => {
      const address = parseQueueAddress(options.queue);
      await requireReachable(address);
      const { workers, unassigned, counts } = await listWorkers(address);
      if (options.json) return printJson({ workers, unassigned, counts });
      printLine(
        `${workers.length} worker(s) on ${address.shown} · ${counts.waiting ?? 0} waiting, ${counts.active ?? 0} running, ${counts.delayed ?? 0} to retry, ${counts.completed ?? 0} done, ${counts.failed ?? 0} failed`,
      );
      for (const worker of workers) {
        printLine(`${worker.name}  ${worker.address}  connected ${worker.connected_seconds}s`);
        if (worker.jobs.length === 0) printLine("    idle");
        for (const job of worker.jobs) printLine(`    ${job.instance_id} (run ${job.run_id}): ${job.step}`);
      }
      for (const job of unassigned)
        printLine(
          `held by a worker that is gone: ${job.instance_id} (run ${job.run_id}); another takes it once its lock runs out`,
        );
    });
}
