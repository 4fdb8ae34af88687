import { pidNamespaceArgs } from "./pid-namespace.js";
import { killTaggedProcesses, newRunTag, RUN_TAG_VARIABLE } from "./tagged-processes.js";

/**
 * How the host backend keeps hold of what a script starts: `auto` is a PID namespace (see
 * pid-namespace.ts) where one can be had, else the fallback below; `tag` is the fallback always.
 */
export type Containment = "auto" | "tag";

/** A script's command line, contained. */
export interface ContainedCommand {
  /** Program to run. */
  program: string;
  /** Its arguments (the script's path among them). */
  args: string[];
  /** Variables to add to the run's environment. */
  env: Record<string, string>;
  /** Kills what the run left outside its process group; absent when the namespace does that itself. */
  killStragglers?: () => void;
}

/**
 * The script runs as a child of a tiny shell, not as the namespace's first process: a first process
 * ignores every signal it has no handler for, so the timeout's SIGTERM would pass the script by and it
 * would go on to its next command. The shell waits for it and exits with its status; its exit is what
 * makes the kernel kill everything else in the namespace. Its own stderr goes nowhere (the script
 * keeps the real one as fd 2): bash would report a script killed at the timeout as "Terminated".
 */
const NAMESPACE_INIT = 'exec 3>&2 2>/dev/null; bash "$0" 2>&3 3>&-; exit $?';

/**
 * The fallback, where no namespace can be had: the run's environment carries a random tag, and what
 * carries it is killed at the end, at the timeout and on abort (scanning /proc). What it cannot catch:
 * a process that execs with a fresh environment (`env -i`, or any program building its own) loses the
 * tag; a process running as another user cannot be read; a process forking faster than five scans
 * can outrun them; were swegate killed outright, nobody scans (GNU timeout still ends the process
 * group); and without /proc (not Linux) there is no scan at all, only the process group kill.
 *
 * Secrets: without a namespace the tests see the host's /proc, so a test can read the environment of
 * every process of the same user, swegate's included; only the scrubber (scrub-secrets.ts) stands
 * between such a test and its log. What this does is keep swegate out of the test's ancestry, so a
 * test that walks up its parents (PPid in /proc/self/status) reaches processes with the controlled
 * environment only: the script is started in the background by a subshell that exits at once, so it
 * is adopted by init (or the nearest subreaper) instead of being swegate's grandchild. `trap -` undoes
 * the SIGINT/SIGQUIT ignoring that bash gives background commands (Python would inherit it and never
 * raise KeyboardInterrupt).
 *
 * The exit status then comes back through a pipe of the launcher's own (fd 3), closed for the script
 * so that an orphan holding the output cannot hold this one too. The status line carries a nonce
 * made inside the launcher (not in any environment or command line), so a test that opens the pipe
 * through /proc/PID/fd and writes "0" is ignored; one that kills the script's parent gets 137. Not
 * closed: a test that races the launcher to read the genuine line off that pipe, or that ptraces its
 * ancestors, can still forge a status; the namespace is the answer to both.
 */
const DETACHED_LAUNCHER = [
  "exec 4>&1",
  // 128 random bits where bash has SRANDOM (5.1+); older bashes only have the guessable RANDOM.
  "nonce=$SRANDOM$SRANDOM$SRANDOM$SRANDOM$RANDOM",
  'status=$( ( { trap - INT QUIT; bash "$0" >&4 2>&4 3>&- 4>&-; echo "$nonce $?" >&3; } 3>&1 >/dev/null & ) )',
  // No genuine status: the script's parent was killed before it could write one.
  "code=137",
  'while read -r seen value; do [ "$seen" = "$nonce" ] && code=$value && break; done <<<"$status"',
  'exit "$code"',
].join("\n");

/** The command that runs the bash script at `scriptPath` contained as `containment` asks. */
export function containScript(scriptPath: string, containment: Containment): ContainedCommand {
  const namespace = containment === "tag" ? undefined : pidNamespaceArgs();
  if (namespace)
    return { program: "unshare", args: [...namespace, "bash", "-c", NAMESPACE_INIT, scriptPath], env: {} };
  const tag = newRunTag();
  return {
    program: "bash",
    args: ["-c", DETACHED_LAUNCHER, scriptPath],
    env: { [RUN_TAG_VARIABLE]: tag },
    killStragglers: () => killTaggedProcesses(RUN_TAG_VARIABLE, tag),
  };
}
