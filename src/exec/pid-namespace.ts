import { execFileSync } from "node:child_process";

/**
 * The `unshare` arguments that put a command in a PID namespace of its own with its own /proc, or
 * undefined where none can be had (no util-linux unshare, no /proc, user namespaces disabled, a
 * container's seccomp profile refusing them). Root needs no user namespace; anyone else gets one that
 * maps their own user id to itself, so files keep their owner. Probed once per process: it costs a
 * few milliseconds and the answer does not change.
 *
 * Why a namespace: when its first process exits, the kernel kills every other process in it, however
 * it detached (setsid, double fork, a new process group), and its /proc shows only its own processes,
 * so no test can read the environment of swegate or of anything else outside.
 */
export function pidNamespaceArgs(): string[] | undefined {
  if (probed === undefined) probed = { args: probe() };
  return probed.args;
}

let probed: { args: string[] | undefined } | undefined;

/** Both forms, root's first; `--kill-child` ends the namespace when unshare itself is killed. */
export const PID_NAMESPACE_FORMS = {
  root: ["--pid", "--fork", "--mount-proc", "--kill-child"],
  user: ["--user", "--map-current-user", "--pid", "--fork", "--mount-proc", "--kill-child"],
} as const;

function probe(): string[] | undefined {
  if (process.platform !== "linux") return undefined;
  const forms =
    process.getuid?.() === 0
      ? [PID_NAMESPACE_FORMS.root, PID_NAMESPACE_FORMS.user]
      : [PID_NAMESPACE_FORMS.user];
  for (const form of forms) {
    try {
      // The shell must see itself as process 1 and /proc must list the namespace's processes only
      // (itself and ls): a /proc left as the host's would hide nothing.
      const output = execFileSync("unshare", [...form, "sh", "-c", 'echo $$; ls /proc | grep -c "^[0-9]"'], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
        timeout: 10_000,
      });
      const [pid, count] = output.trim().split("\n");
      if (pid === "1" && Number(count) <= 3) return [...form];
    } catch {
      // This form is refused here; try the next.
    }
  }
  return undefined;
}
