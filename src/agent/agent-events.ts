import type { AttemptRecord } from "../store/attempt-record.js";

/** Events the attempt loop emits (noun-verb); the progress display and the store both listen. */
export type AgentEvent =
  | { type: "attempt-start"; instanceId: string; attemptNumber: number }
  | { type: "model-call-end"; instanceId: string; attemptNumber: number; ok: boolean; costUsd: number | null }
  | { type: "check-start"; instanceId: string; attemptNumber: number }
  | { type: "attempt-end"; instanceId: string; attempt: AttemptRecord };

export type AgentEventListener = (event: AgentEvent) => void;
