/**
 * What a job service may answer, as zod schemas, and the bounds every text and list it sends is cut to where
 * it enters. A job service is another team's system: what it says is hostile input. Its answers are checked
 * here (a malformed one fails the step at once, saying which field is wrong and why), and every text in them
 * is clipped, with a note, before any regular expression (redaction) reads it, so that what a handover records
 * in Temporal's history stays far under its limits (2 MB a payload, a warning at 512 KB) whatever a service says.
 *
 * The bounds, and what they give (the largest activity result each allows, in characters):
 * - one answer's body: ANSWER_BYTES (8 MiB), read no further;
 * - a healthcheck report: FAILED_CHECKS checks with MESSAGES_PER_CHECK messages each, all messages together
 *   REPORT_CHARS: about 40 KB;
 * - the metadata events: EVENTS events, each of names and DETAILS_CHARS of details: about 70 KB;
 * - a failure message: TEXT characters; a job id: JOB_ID characters.
 */
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { type JobRef, type ServiceName, detailsObject } from '../vocabulary';

export const LIMITS = {
  /** One answer's body; a longer one is not read past this and counts as malformed. */
  answerBytes: 8 * 1024 * 1024,
  /** The part of a refusal's (4xx) or server error's (5xx) body kept for the message. */
  errorBodyBytes: 16 * 1024,
  /** One free text: a check's message, a failure message, a runtime. */
  text: 1000,
  /** A failure message (the job's own, or a refusal). */
  failureText: 2000,
  /** A name: a check, an event's type, genome or source, a process. */
  name: 200,
  /** A job's id (as text), or a process name of the event service. */
  jobId: 128,
  /** Failed checks kept of a healthcheck report (the rest are counted in a note). */
  failedChecks: 50,
  messagesPerCheck: 20,
  /** All the messages of one healthcheck report together. */
  reportChars: 30_000,
  /** Events in a metadata answer: more fails the step (each one starts processing: none is dropped silently). */
  events: 10,
  /** One event's details, as JSON. */
  detailsChars: 6000,
  /** Processes the event service may answer for one event. */
  processes: 50,
  /** A job's progress, as the "still running" message shows it. */
  progressChars: 300,
} as const;

/** The failure type of a malformed answer: not retried (the service would say the same again). */
export const MALFORMED_ANSWER = 'MalformedAnswer';

const count = (n: number) => n.toLocaleString('en-US');

/**
 * A text cut to `max` characters, with a note saying so. The cut never ends inside a URI or a word: a cut
 * password (`mysql://u:hunt`) would no longer look like one to the redaction that reads the text next. So the
 * kept part stops at the last space of its last 200 characters (a quarter of a short text), and before a URI
 * whose host it does not reach.
 */
export function clip(text: string, max: number = LIMITS.text): string {
  if (text.length <= max) return text;
  const back = Math.min(200, Math.floor(max / 4));
  let kept = text.slice(0, max);
  const space = kept.search(/\s\S*$/);
  kept = kept.slice(0, space >= max - back ? space : max - back);
  // A URI whose authority the cut left open (it may hold a password up to its last @) is dropped whole.
  const uri = kept.search(/[a-z][a-z0-9+.-]*:\/\/[^\s/?#]*$/i);
  if (uri >= 0) kept = kept.slice(0, uri);
  return `${kept}… [clipped: ${count(text.length)} characters, kept ${count(kept.length)}]`;
}

/** Printable and short: a key or value quoted in an error message (a hostile key may be a megabyte of escapes). */
function shown(text: string, max = 60): string {
  const printable = text.slice(0, max + 1).replace(/[^\x20-\x7e]/g, '?');
  return printable.length > max ? `${printable.slice(0, max)}…` : printable;
}

const MAX_DEPTH = 4;
const MAX_KEYS = 50;
const MAX_ITEMS = 50;

/**
 * Any JSON value cut to a budget of characters: strings clipped, lists and objects cut (with a note of how much
 * was left out), nesting cut at MAX_DEPTH. Keeps what fits first, in order.
 */
export function boundJson(value: unknown, budget: number, textMax: number = LIMITS.text): unknown {
  const left = { chars: budget };
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') {
      const s = clip(v, Math.max(20, Math.min(textMax, left.chars)));
      left.chars -= s.length + 3;
      return s;
    }
    if (v === null || typeof v === 'number' || typeof v === 'boolean') {
      left.chars -= 8;
      return v;
    }
    if (typeof v !== 'object' || depth >= MAX_DEPTH) {
      left.chars -= 30;
      return typeof v === 'object' ? '[nested too deep: not kept]' : undefined;
    }
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      for (const item of v) {
        if (out.length >= MAX_ITEMS || left.chars <= 0) break;
        out.push(walk(item, depth + 1));
      }
      if (out.length < v.length) out.push(`[${count(v.length - out.length)} more items not kept]`);
      return out;
    }
    const out: Record<string, unknown> = {};
    const entries = Object.entries(v as Record<string, unknown>);
    let kept = 0;
    for (const [key, item] of entries) {
      if (kept >= MAX_KEYS || left.chars <= 0) break;
      const k = clip(key, 100);
      left.chars -= k.length + 4;
      out[k] = walk(item, depth + 1);
      kept++;
    }
    if (kept < entries.length) out['…'] = `${count(entries.length - kept)} more keys not kept`;
    return out;
  };
  return walk(value, 0);
}

// ---- The answers' shapes ----

/** A job id: a whole number, or a short text of URL-safe characters (it goes into the job's URL). */
const jobId = z.union([
  z.number().int('must be a whole number').min(0, 'must not be negative').max(Number.MAX_SAFE_INTEGER, 'is too large'),
  z
    .string()
    .max(LIMITS.jobId, `is longer than ${LIMITS.jobId} characters`)
    .regex(/^(?!\.\.?$)[A-Za-z0-9._~:-]+$/, 'is not a job id (letters, digits and . _ ~ : - only)'),
]);

/** POST /jobs of the healthcheck, copy and metadata services. */
export const submitAnswer = z.object({ job_id: jobId });

/** POST /jobs of the event service: the processes it started for the event. */
export const eventSubmitAnswer = z.object({
  event: z.unknown().optional(),
  processes: z
    .array(
      z.object({
        process: z.string().regex(/^[A-Za-z0-9._~:-]{1,128}$/, 'is not a process name (1-128 letters, digits and . _ ~ : -)'),
        job: jobId,
      }),
    )
    .max(LIMITS.processes, `lists more than ${LIMITS.processes} processes`),
});

const JOB_STATES = ['submitted', 'running', 'incomplete', 'complete', 'failed'] as const;

/** GET /jobs/{id}: the output is checked by the service's own schema once the job is complete. */
export const pollAnswer = z.object({
  id: jobId.optional(),
  status: z.enum(JOB_STATES),
  output: z.unknown().optional(),
  progress: z.unknown().optional(),
});

/** GET /jobs/{id}?format=failures. */
export const failuresAnswer = z.object({ msg: z.string().optional() });

const name = z.string().transform((s) => clip(s, LIMITS.name));

export const healthcheckOutput = z.object({
  db_name: z.string().optional(),
  db_uri: z.string().optional(),
  status: z.enum(['passed', 'failed']),
  // Read lazily (a report may hold 100k checks): failedChecks() takes what it keeps.
  results: z.record(z.string(), z.object({ status: z.string(), messages: z.array(z.string()).optional() })).optional(),
});
type HealthcheckOutput = z.infer<typeof healthcheckOutput>;

export const copyOutput = z.object({ runtime: z.union([z.string(), z.number()]).optional() });

const metadataEvent = z.object({
  type: name,
  genome: name,
  source: name.optional(),
  details: z
    .union([z.record(z.string(), z.unknown()), z.string()])
    .nullable()
    .optional(),
});

export const metadataOutput = z.object({
  events: z.array(metadataEvent).max(LIMITS.events, `lists more than ${LIMITS.events} events`).optional(),
});

// ---- Reading them ----

/**
 * The answer, checked against its schema; or a non-retryable failure naming what was wrong, e.g. "the copy
 * service's answer to POST /jobs has no job_id". `job` rides on the failure when there is one.
 */
export function checked<S extends z.ZodType>(
  schema: S,
  answer: unknown,
  where: { service: ServiceName; request: string; job?: JobRef; prefix?: string },
): z.output<S> {
  const result = schema.safeParse(answer);
  if (result.success) return result.data;
  throw malformed(where, describeIssue(result.error.issues[0], where.prefix));
}

export function malformed(where: { service: ServiceName; request: string; job?: JobRef }, what: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `the ${where.service} service's answer to ${where.request} ${what}`,
    MALFORMED_ANSWER,
    ...(where.job ? [{ job: where.job }] : []),
  );
}

function describeIssue(issue: z.core.$ZodIssue | undefined, prefix?: string): string {
  if (!issue) return 'is malformed';
  const path = [...(prefix ? [prefix] : []), ...issue.path.map((p) => shown(String(p), 40))].join('.');
  const missing = issue.code === 'invalid_type' && /received undefined$/.test(issue.message);
  // A union (job_id: number or text) says what the form it has got wrong, or that it has neither form.
  const forms = issue.code === 'invalid_union' ? issue.errors.flat() : [];
  const inner = forms.find((f) => !f.message.startsWith('Invalid input')) ?? forms[0];
  const missingInUnion = inner?.code === 'invalid_type' && /received undefined$/.test(inner.message);
  if (!path) return issue.code === 'invalid_type' ? `is not a JSON object` : `is malformed: ${issue.message}`;
  if (missing || missingInUnion) return `has no ${path}`;
  const reason = inner ? (inner.message.startsWith('Invalid input') ? 'is neither a number nor a text' : inner.message) : issue.message;
  return `has a bad ${path}: ${reason.replace(/^Invalid input: /, '')}`;
}

/** An event as Handover records it: bounded names, details an object (parsed from a JSON string) within its budget. */
export function boundedEvent(event: z.output<typeof metadataEvent>) {
  const details = detailsObject(event.details);
  return {
    type: event.type,
    genome: event.genome,
    ...(event.source !== undefined ? { source: event.source } : {}),
    ...(details ? { details: boundJson(details, LIMITS.detailsChars) as Record<string, unknown> } : {}),
  };
}

/**
 * The failed checks of a report, bounded: FAILED_CHECKS checks, MESSAGES_PER_CHECK messages each of TEXT
 * characters, REPORT_CHARS in all; what is left out is counted in a note (a last entry, or a last message).
 */
export function failedChecks(results: HealthcheckOutput['results']): Array<{ check: string; messages: string[] }> {
  const failed: Array<{ check: string; messages: string[] }> = [];
  let budget: number = LIMITS.reportChars;
  let notKept = 0;
  for (const check in results ?? {}) {
    const result = results![check];
    if (result.status === 'passed') continue;
    if (failed.length >= LIMITS.failedChecks) {
      notKept++;
      continue;
    }
    const all = result.messages ?? [];
    const messages: string[] = [];
    for (const m of all) {
      if (messages.length >= LIMITS.messagesPerCheck || budget <= 0) break;
      const kept = clip(m, Math.max(100, Math.min(LIMITS.text, budget)));
      budget -= kept.length;
      messages.push(kept);
    }
    if (messages.length < all.length) messages.push(`[${count(all.length - messages.length)} more messages not kept]`);
    failed.push({ check: clip(check, LIMITS.name), messages });
  }
  if (notKept) failed.push({ check: `[${count(notKept)} more failed checks not kept]`, messages: [] });
  return failed;
}

/** A JSON value with every string in it (values, not keys) passed through `redact`: the shape stays as it was. */
export function redactedStrings<T>(value: T, redact: (text: string) => string): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactedStrings(v, redact)) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactedStrings(v, redact)])) as T;
  return value;
}
