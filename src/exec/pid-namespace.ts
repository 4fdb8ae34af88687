import { execFileSync } from "node:child_process";

/**
 * The `unshare` arguments (for root, ending in a `setpriv` prefix) that put a command in a PID namespace of its own with its own /proc, or
 * undefined where none can be had (no util-linux unshare, no /proc, user namespaces disabled, a
 * container's seccomp profile refusing them). Root needs no user namespace; anyone else gets one that
 * maps their own user id to itself, so files keep their owner. Probed once per process: it costs a
 * few milliseconds and the answer does not change.
 *
 * A test running as root could `umount /proc` and find the host's /proc beneath the namespace's, so
 * root's form drops CAP_SYS_ADMIN from the bounding set (setpriv, util-linux like unshare): no mount
 * or unmount, and a nested user namespace finds the two /proc mounts locked together. A test that
 * needs to mount something as root fails under it; without setpriv root keeps the namespace (its
 * processes still end with it) but not that lock. Anyone else has no capability left after exec.
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

/** The forms tried, best first; `--kill-child` ends the namespace when unshare itself is killed. */
const ROOT_FORMS = [
  ["--pid", "--fork", "--mount-proc", "--kill-child", "setpriv", "--bounding-set", "-sys_admin"],
  ["--pid", "--fork", "--mount-proc", "--kill-child"],
];
const USER_FORM = ["--user", "--map-current-user", "--pid", "--fork", "--mount-proc", "--kill-child"];

function probe(): string[] | undefined {
  if (process.platform !== "linux") return undefined;
  const forms = process.getuid?.() === 0 ? [...ROOT_FORMS, USER_FORM] : [USER_FORM];
  for (const form of forms) {
    try {
      // The shell must see itself as process 1 and /proc must list the namespace's processes only
      // (the shell, ls and grep): a /proc left as the host's would hide nothing.
      const output = execFileSync("unshare", [...form, "sh", "-c", 'echo $$; ls /proc | grep -c "^[0-9]"'], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
        timeout: 10_000,
      });
      const [pid, count] = output.trim().split("\n");
      if (pid === "1" && Number(count) <= 3) return form;
    } catch {
      // This form is refused here; try the next.
    }
  }
  return undefined;
}
