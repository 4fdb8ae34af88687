/** Where commands run. `host` is a subprocess; `isolated` and `docker` implement the same interface. */
export interface Backend {
  /** Registry name: `host`, `isolated`, `docker`. */
  readonly name: string;
  /** True when `RunOptions.evidenceDir` works: files the command writes there are on this machine afterwards. */
  readonly collectsEvidence?: boolean;
  /** Runs a bash script; never throws for a failing command (that is a value). */
  run(script: string, options: RunOptions): Promise<CommandResult>;
  /** Facts that identify the environment (interpreter version, image digest, …); part of the fingerprint. */
  describe(options: { cwd: string; python?: string }): Promise<EnvironmentDescription>;
}

export interface RunOptions {
  /** Working folder (the workspace). */
  cwd: string;
  /** Extra environment variables on top of the backend's controlled base. */
  env?: Record<string, string>;
  /** Seconds before the whole process group is killed. */
  timeoutSeconds: number;
  /** Bytes of output kept (head and tail); the rest is dropped and counted. */
  outputLimitBytes?: number;
  /** Called with output chunks as they arrive (for live display); optional. */
  onOutput?: (chunk: string) => void;
  /**
   * A private folder of this machine, outside the workspace, where the command may write evidence
   * (pytest's JUnit report): the backend makes it writable at the same path. Only for backends
   * with `collectsEvidence`.
   */
  evidenceDir?: string;
  /** Aborting it kills the run at once (the run is interrupted): exit code null, not timed out. */
  signal?: AbortSignal;
}

export interface CommandResult {
  /** Exit code of the script, or null when killed. */
  exitCode: number | null;
  /** stdout and stderr merged in arrival order (capped, see `truncatedBytes`). */
  output: string;
  /** Wall time in milliseconds. */
  durationMs: number;
  /** True when the timeout killed it. */
  timedOut: boolean;
  /** Bytes dropped from the middle of the output by the cap (0 when nothing was dropped). */
  truncatedBytes: number;
}

export interface EnvironmentDescription {
  /** Backend name. */
  backend: string;
  /** e.g. `Python 3.11.7`. */
  pythonVersion: string;
  /** Path or name of the interpreter used. */
  python: string;
  /** Image or root filesystem digest, where there is one. */
  imageDigest?: string;
  /** Other identifying facts (environment name, Debian release, …). */
  details?: Record<string, string>;
}
