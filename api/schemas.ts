/**
 * The shapes of the API's answers as zod schemas, so `/docs` shows every answer of every route,
 * refusals included. Each lists every field its answer has (the types check that against the code).
 */
import { z } from 'zod';
import { BATCH_ITEM_STATUSES, HANDOVER_STATUSES, OUTCOMES, STEPS } from '../vocabulary/names';

const issue = z.object({ field: z.string(), message: z.string() });

/** Every refusal: `{error}`, with the fields to blame, the token it concerns or the status that stopped it. */
export const errorAnswer = z.looseObject({
  error: z.string().describe('What is wrong, in words'),
  issues: z.array(issue).optional().describe('One entry per bad field'),
  token: z.string().optional().describe('The handover concerned: the running one (409) or the refusal kept (422/403)'),
  status: z.string().optional().describe('The status that stopped the request (409)'),
});

/** The refusals a route can answer, by status code. */
export function refusals(...codes: Array<400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503>) {
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

const job = z.object({ service: z.string(), id: z.string(), url: z.string() });

export const progressAnswer = z.object({
  token: z.string(),
  restarted_from: z.string().optional(),
  status: z.enum(HANDOVER_STATUSES),
  step: z.union([z.enum(STEPS), z.literal('done')]),
  progress: z.object({ complete: z.number(), total: z.number() }),
  spec: z.object({ src_uri: z.string(), tgt_uri: z.string(), contact: z.string(), type: z.string(), comment: z.string(), source: z.string().optional() }),
  update_type: z.string().optional(),
  database_type: z.string(),
  submitted_by: z.string().optional(),
  submitted_at: z.string(),
  ended_at: z.string().optional(),
  timeline: z.array(
    z.object({ step: z.enum(STEPS), started_at: z.string(), ended_at: z.string().optional(), outcome: z.enum(OUTCOMES).optional(), message: z.string().optional(), jobs: z.array(job) }),
  ),
  failure: z.object({ step: z.enum(STEPS), kind: z.string(), reason: z.string(), checks: z.array(z.object({ check: z.string(), messages: z.array(z.string()) })).optional() }).optional(),
  cancelled: z.object({ by: z.string().optional(), reason: z.string().optional() }).optional(),
  events: z.array(z.object({ type: z.string(), genome: z.string(), source: z.string().optional(), details: z.record(z.string(), z.unknown()).optional() })).optional(),
  job_progress: z.string().optional().describe("While a job runs: its service's last word"),
  job: z
    .object({ service: z.string(), id: z.string(), status: z.string(), complete: z.number().optional(), total: z.number().optional(), unit: z.string().optional() })
    .optional()
    .describe('While a job runs: its own progress, as numbers when its service counts'),
});

export const rowAnswer = z.object({
  token: z.string(),
  database: z.string().optional(),
  contact: z.string().optional(),
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

export const reportAnswer = z.object({
  report_type: z.enum(['INFO', 'ERROR']),
  host: z.string().optional(),
  process: z.string(),
  resource: z.string(),
  params: z.record(z.string(), z.unknown()),
  report_time: z.string(),
  message: z.string(),
});

export const batchAnswer = z.object({
  batch_id: z.string(),
  status: z.enum(['running', 'ended']),
  total: z.number(),
  counts: z.record(z.enum(BATCH_ITEM_STATUSES), z.number()),
  handovers: z.array(z.object({ token: z.string(), database: z.string(), status: z.enum(BATCH_ITEM_STATUSES), reason: z.string().optional() })),
});

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
