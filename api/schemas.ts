/**
 * The shapes of the API's answers as zod schemas, so `/docs` shows every answer of every route,
 * error answers included. Each lists every field its answer has (the types check that against the code).
 * They are the one declaration of each shape: api/types.ts publishes their types (`z.infer`) to the
 * CLI and the pages (api/web/types.d.ts). What the workflows record too (a handover's progress, its
 * reports, a batch) is declared in vocabulary/answers.ts, which the workflows' types come from.
 */
import { z } from 'zod';
import { batchAnswer, progressAnswer, reportAnswer } from '../vocabulary/answers';
import { BATCH_ITEM_STATUSES, DATABASE_TYPES, HANDOVER_STATUSES, OUTCOMES, RESTARTABLE_STEPS, STEPS } from '../vocabulary/names';

export { batchAnswer, progressAnswer, reportAnswer };

const issue = z.object({ field: z.string(), message: z.string() });

/** Every refusal: `{error}`, with the fields to blame, the token it concerns or the status that stopped it. */
export const errorAnswer = z.looseObject({
  error: z.string().describe('What is wrong, in words'),
  issues: z.array(issue).optional().describe('One entry per bad field'),
  token: z.string().optional().describe('The handover concerned: the running one (409) or the refusal kept (422/403)'),
  status: z.string().optional().describe('The status that stopped the request (409)'),
});

/**
 * The error answers a route can give, by status code, for its `response` schema. (Not the refusals the
 * refusals workflow keeps: those are submissions the admission rules refused, api/gateway/refusals.ts.)
 */
export function errorResponses(...codes: Array<400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503>) {
  const why: Record<number, string> = {
    400: 'Invalid: each bad field named',
    401: 'No API key, or an unknown one',
    403: "The key's role does not allow it, or the handover is another's",
    404: 'No such handover',
    409: 'A handover of this database is running, or this one has ended',
    413: 'The body is too large',
    415: 'The body is not JSON',
    422: 'Refused by the admission rules (kept as a rejected handover)',
    429: 'Too many requests: slow down',
    503: 'Temporal is unreachable',
  };
  return Object.fromEntries(codes.map((code) => [code, errorAnswer.describe(why[code])]));
}

/** What every route that reaches Temporal may answer besides its own refusals. */
export const common = [401, 429, 503] as const;

/** One row of `GET /handovers`. */
export const rowAnswer = z.object({
  token: z.string(),
  database: z.string().optional(),
  contact: z.string().optional(),
  // The database type, under its wire name `type` (written by `listRowTypes`, vocabulary/shapes.ts).
  type: z.string().optional().describe('The kind of database'),
  update_type: z.string().optional(),
  submitted_by: z.string().optional(),
  status: z.string().optional(),
  step: z.string().optional(),
  comment: z.string().optional(),
  src_uri: z.string().optional(),
  submitted_at: z.string().optional(),
  ended_at: z.string().optional(),
});
/** GET /handovers. */
export const rowListAnswer = z.object({ handovers: z.array(rowAnswer) });

const keyword = z
  .string()
  .regex(/^[^'"\\]{1,200}$/, 'must not contain quotes or backslashes')
  .optional();
/** The filters of `GET /handovers` (its querystring). */
export const listFilters = z
  .object({
    status: z.enum(HANDOVER_STATUSES).optional(),
    database: keyword,
    contact: keyword,
    // The database type, under its wire name `type` (read by `listFilterTypes`, vocabulary/shapes.ts).
    type: keyword.describe('The kind of database (core, variation...)'),
    update_type: keyword.describe('The kind of update (new_assembly, new_genebuild, patch, other)'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

/** GET /handovers/{token}/reports. */
export const reportListAnswer = z.object({ reports: z.array(reportAnswer) });

/** POST /handovers (and, with restarted_from, POST /handovers/{token}/restart). */
export const submittedAnswer = z.object({ token: z.string(), status_url: z.string() });
export const restartedAnswer = submittedAnswer.extend({ restarted_from: z.string() });
/** POST /batches. */
export const batchSubmittedAnswer = z.object({ batch_id: z.string(), status_url: z.string(), tokens: z.array(z.string()) });

/** GET /admission. */
export const admissionAnswer = z.object({
  open: z.boolean(),
  allowed_types: z.array(z.string()).describe('The database types being taken now'),
  update_types: z.array(z.string()).describe("What a submission's type may be"),
  release: z.string().nullable(),
});

export const healthAnswer = z.object({ status: z.enum(['ok', 'degraded']), temporal: z.enum(['reachable', 'unreachable']) });

export const liveAnswer = z.object({ status: z.literal('ok') });

const reachability = z.enum(['reachable', 'unreachable']);
export const readyAnswer = z.object({
  status: z.enum(['ready', 'not ready']),
  temporal: reachability,
  services: z
    .object({ healthcheck: reachability, copy: reachability, metadata: reachability, event: reachability })
    .describe('Each job service: any answer below 500 to GET /health is reachable'),
  failed: z.array(z.string()).describe('What is unreachable: temporal and/or service names'),
});

/** GET /vocabulary (api/routes/vocabulary.ts): the lists a client chooses from. */
export const vocabularyAnswer = z.object({
  steps: z.array(z.enum(STEPS)).describe("A handover's steps, in the order they run (the timeline's `step`)"),
  restartable_steps: z
    .array(z.enum(RESTARTABLE_STEPS))
    .describe('The steps a failed or cancelled handover can be restarted from (`from` of POST /handovers/{token}/restart)'),
  statuses: z.array(z.enum(HANDOVER_STATUSES)).describe("A handover's statuses (the `status` filter of GET /handovers)"),
  batch_item_statuses: z.array(z.enum(BATCH_ITEM_STATUSES)).describe("A batch item's statuses (GET /batches/{batch_id})"),
  update_types: z.array(z.string()).describe("The update types in force: a submission's `type` (HANDOVER_UPDATE_TYPES)"),
  database_types: z
    .array(z.enum(DATABASE_TYPES))
    .describe('The database types a database name can give (the `type` filter of GET /handovers)'),
  outcomes: z.array(z.enum(OUTCOMES)).describe('How a step ended, on the timeline'),
});
