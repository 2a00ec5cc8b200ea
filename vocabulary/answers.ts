/**
 * The shapes that the workflows record and the API answers, declared once, as zod schemas: the API
 * validates and documents its answers with them (api/schemas.ts), and vocabulary/shapes.ts gives every
 * layer their types (`z.infer`). Only the API loads this file: everyone else imports the types, which
 * are erased, so no zod reaches the workflow sandbox or the CLI (tests/unit/published-types.test.ts).
 * Not re-exported by vocabulary/index.ts for the same reason.
 */
import { z } from 'zod';
import { BATCH_ITEM_STATUSES, HANDOVER_STATUSES, OUTCOMES, SERVICE_NAMES, STEPS } from './names';

/** The submitted specification as the workflow records it: URIs carry no password. */
export const recordedSpec = z.object({
  src_uri: z.string(),
  tgt_uri: z.string(),
  contact: z.string(),
  /** The update type under its wire name (new_assembly, new_genebuild, patch, other); older handovers: see handoverTypes (./shapes). */
  type: z.string(),
  comment: z.string(),
  source: z.string().optional(),
});

/** A job on one of the four services, as the timeline shows it. */
export const jobRef = z.object({ service: z.enum(SERVICE_NAMES), id: z.string(), url: z.string() });

export const checkFailure = z.object({ check: z.string(), messages: z.array(z.string()) });

export const timelineEntry = z.object({
  step: z.enum(STEPS),
  started_at: z.string(),
  ended_at: z.string().optional(),
  outcome: z.enum(OUTCOMES).optional(),
  message: z.string().optional(),
  jobs: z.array(jobRef),
});

export const handoverFailure = z.object({
  step: z.enum(STEPS),
  /** 'could_not_run' (the checks did not run) vs 'problems' (they ran and found problems). */
  kind: z.enum(['error', 'could_not_run', 'problems', 'timed_out', 'rejected']),
  reason: z.string(),
  checks: z.array(checkFailure).optional(),
});

export const cancelRequest = z.object({ by: z.string().optional(), reason: z.string().optional() });

export const metadataEvent = z.object({
  /** new_assembly, new_genebuild or other from the local stack; any word from other metadata services. */
  type: z.string(),
  genome: z.string(),
  source: z.string().optional(),
  /**
   * Always an object from the activities on (they parse Ensembl's JSON string: activities/service-answers.ts);
   * a history recorded before may hold the string, which the API answers as an object (vocabulary/events.ts).
   */
  details: z.record(z.string(), z.unknown()).optional(),
});

/** A running job's own progress, as its service last reported it. */
export const jobProgress = z.object({
  service: z.enum(SERVICE_NAMES),
  id: z.string(),
  status: z.string(),
  complete: z.number().optional(),
  total: z.number().optional(),
  /** What is counted: tables, checks... */
  unit: z.string().optional(),
});

/** GET /handovers/{token}: what the workflow's progress query answers, plus what the API adds while a job runs. */
export const progressAnswer = z.object({
  token: z.string(),
  /** The handover this one restarts. */
  restarted_from: z.string().optional(),
  status: z.enum(HANDOVER_STATUSES),
  step: z.union([z.enum(STEPS), z.literal('done')]),
  progress: z.object({ complete: z.number(), total: z.number() }),
  spec: recordedSpec,
  /** The kind of update (absent for handovers recorded before it was asked for). */
  update_type: z.string().optional(),
  /** The kind of database, from its name. */
  database_type: z.string(),
  /** Who submitted it: the API key's name (absent in open mode). */
  submitted_by: z.string().optional(),
  submitted_at: z.string(),
  ended_at: z.string().optional(),
  timeline: z.array(timelineEntry),
  failure: handoverFailure.optional(),
  cancelled: cancelRequest.optional(),
  events: z.array(metadataEvent).optional(),
  /** Added by the API while a job runs: its service's last word, e.g. "copy job 2 is running (3 of 12 tables)". */
  job_progress: z.string().optional().describe("While a job runs: its service's last word"),
  /** Added by the API while a job runs: the same, as numbers (when the service reports them). */
  job: jobProgress.optional().describe('While a job runs: its own progress, as numbers when its service counts'),
});

/**
 * A structured report of one step transition, in the shape Ensembl's report consumers read
 * (ensembl-prodinf's ReportFormatter): logged as JSON, kept by the workflow, published to AMQP.
 */
export const reportAnswer = z.object({
  report_type: z.enum(['INFO', 'ERROR']),
  /** The worker that made the report (filled in by the reporting activity). */
  host: z.string().optional(),
  process: z.literal('handover'),
  /** The database the report is about, password-free. */
  resource: z.string(),
  params: z.record(z.string(), z.union([z.string(), z.number()]).optional()),
  /** UTC, without zone, as Ensembl's reports: 2026-11-28T07:50:00.123 */
  report_time: z.string(),
  message: z.string(),
});

/** GET /batches/{batch_id}: many handovers submitted together, each under its own database lock. */
export const batchAnswer = z.object({
  batch_id: z.string(),
  status: z.enum(['running', 'ended']),
  total: z.number(),
  counts: z.record(z.enum(BATCH_ITEM_STATUSES), z.number()),
  handovers: z.array(
    z.object({ token: z.string(), database: z.string(), status: z.enum(BATCH_ITEM_STATUSES), reason: z.string().optional() }),
  ),
});
