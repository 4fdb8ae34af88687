import { z } from "zod";
import { UserError } from "../errors.js";
import { type AttemptRecord, FAILURE_CLASSES } from "./attempt-record.js";
import { type GreenGateSummary, RED_VERDICTS, type RedGateSummary } from "./gate-records.js";
import {
  type HealthRecord,
  INSTANCE_STATUSES,
  type InstanceResult,
  RUN_STATUSES,
  type RunOwner,
} from "./records.js";

// Rows are checked as they are read, so a damaged or foreign store fails with the row it cannot
// read instead of handing a wrong shape on. Objects are loose: a key the schema does not name is
// kept as stored, as JSON.parse kept it.

const feedbackMode = z.enum(["oracle", "blind"]);
const testOutcomes = z.record(
  z.string(),
  z.enum(["PASSED", "FAILED", "SKIPPED", "ERROR", "XFAIL", "missing"]),
);
const testGroup = z.looseObject({ success: z.array(z.string()), failure: z.array(z.string()) });

const environmentSchema = z.looseObject({
  backend: z.string(),
  pythonVersion: z.string(),
  python: z.string(),
  imageDigest: z.string().optional(),
  details: z.record(z.string(), z.string()).optional(),
});

export const runOwnerSchema: z.ZodType<RunOwner> = z.looseObject({
  host: z.string(),
  pid: z.number(),
  started: z.string(),
});

/** The columns of a `runs` row, before its JSON columns are parsed. */
export const runRowSchema = z.looseObject({
  run_id: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  status: z.enum(RUN_STATUSES),
  model: z.string(),
  mode: feedbackMode,
  dataset_source: z.string(),
  dataset_digest: z.string(),
  selection: z.string(),
  config: z.string(),
  swegate_version: z.string(),
  owner: z.string().nullable(),
});

export const runSelectionSchema = z.array(z.string());
export const runConfigSchema = z.record(z.string(), z.unknown());

export const healthRecordSchema: z.ZodType<HealthRecord> = z.looseObject({
  instance_id: z.string(),
  fingerprint: z.string(),
  healthy: z.boolean(),
  red_verdict: z.enum(RED_VERDICTS),
  red_reason: z.string().nullable(),
  red_evidence: z.array(z.string()),
  green_resolved: z.boolean().nullable(),
  environment: environmentSchema,
  checked_at: z.string(),
  duration_ms: z.number(),
});

const redGateSchema: z.ZodType<RedGateSummary> = z.looseObject({
  verdict: z.enum(RED_VERDICTS),
  reason: z.string().nullable(),
  evidence: z.array(z.string()),
  warnings: z.array(z.string()),
  provisional: z.boolean(),
  tests: testOutcomes,
  duration_ms: z.number(),
});

const greenGateSchema: z.ZodType<GreenGateSummary> = z.looseObject({
  resolution: z.enum(["FULL", "PARTIAL", "NO"]),
  resolved: z.boolean(),
  problem: z.string().nullable(),
  refused: z.array(z.string()).optional(),
  suspicious: z.array(z.string()).optional(),
  evidence: z.array(z.looseObject({ kind: z.string(), ok: z.boolean(), detail: z.string() })).optional(),
  patch_applied_by: z.string().nullable(),
  tests_status: z
    .looseObject({
      FAIL_TO_PASS: testGroup,
      PASS_TO_PASS: testGroup,
      FAIL_TO_FAIL: testGroup,
      PASS_TO_FAIL: testGroup,
    })
    .nullable(),
  tests: testOutcomes,
  duration_ms: z.number(),
});

export const instanceResultSchema: z.ZodType<InstanceResult> = z.looseObject({
  instance_id: z.string(),
  repo: z.string(),
  status: z.enum(INSTANCE_STATUSES),
  verified: z.boolean(),
  patch: z.string(),
  certificate: z.string().nullable(),
  red_gate_message: z.string(),
  green_gate_message: z.string(),
  error: z.string().nullable(),
  attempts_made: z.number(),
  feedback_history: z.array(z.string()),
  feedback_mode: feedbackMode,
  model: z.string(),
  tokens: z.looseObject({
    input: z.number(),
    output: z.number(),
    cache_read: z.number(),
    cache_write: z.number(),
  }),
  cost_usd: z.number().nullable(),
  duration_ms: z.number(),
  finished_at: z.string(),
  // A health record has no `verdict`: the union tells the two apart.
  red_gate: z.union([redGateSchema, healthRecordSchema]).nullable(),
  green_gate: greenGateSchema.nullable(),
  environment: environmentSchema.nullable(),
  reason: z.string().nullable(),
});

export const attemptRecordSchema: z.ZodType<AttemptRecord> = z.looseObject({
  attempt_number: z.number(),
  prompt_tokens_estimate: z.number(),
  raw_answer: z.string(),
  parsed_edits: z.array(z.string()),
  apply_result: z.string(),
  check_result: z.string(),
  passed: z.boolean(),
  failure_class: z.enum(FAILURE_CLASSES).nullable(),
  feedback: z.string(),
  patch: z.string(),
  usage: z.looseObject({
    inputTokens: z.number(),
    outputTokens: z.number(),
    cacheReadTokens: z.number(),
    cacheWriteTokens: z.number(),
  }),
  cost_usd: z.number().nullable(),
  duration_ms: z.number(),
  check_details: z.unknown().optional(),
  tool_calls: z.array(z.looseObject({ name: z.string(), arguments: z.unknown() })).optional(),
});

/**
 * Parses a stored JSON text (or an already-read row) with `schema`; a row that does not fit is a
 * damaged store or one written by something else, named with `what` so it can be found.
 */
export function parseRow<T>(schema: z.ZodType<T>, value: unknown, what: string, storeDir: string): T {
  let data = value;
  try {
    if (typeof value === "string") data = JSON.parse(value);
  } catch (error) {
    throw new UserError(`the store holds ${what} that is not JSON`, { where: storeDir, cause: error });
  }
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new UserError(
    `the store holds ${what} it cannot read: ${issue?.path.join(".") || "(row)"} ${issue?.message ?? ""}`.trim(),
    { where: storeDir, hint: "was it written by another program, or changed by hand?" },
  );
}
