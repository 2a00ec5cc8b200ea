/**
 * The one client for the four job services (docs/ARCHITECTURE.md, "The four job-service contracts": submit, poll, kill, failures).
 * HTTP errors become Temporal failures with the right retry behaviour: a service that is down
 * (connection refused, 5xx) is retried; a request it refuses (4xx) is not, nor is an answer that is malformed
 * (checked against ./service-answers, read no further than its size limit, its texts clipped there).
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { z } from 'zod';
import type { WaitingStep } from '../common/callbacks';
import { type JobProgress, type JobRef, type ServiceName, failureTypes, jobStillRunning } from '../vocabulary';
import type { JobServiceErrorKind, WorkerMetrics } from './metrics';
import { LIMITS, boundJson, checked, clip, failuresAnswer, malformed, pollAnswer, submitAnswer } from './service-answers';

const { jobFailed: JOB_FAILED, jobRejected: JOB_REJECTED } = failureTypes;

/**
 * Which submission a job is: its handover and step (at the event step, also which event). Its idempotency key and
 * its callback are made from it, each in one place (idempotencyKey here, the callback in createActivities).
 */
export type Submission = { token: string; step: WaitingStep } | { token: string; step: 'event'; event: number };

/** `Idempotency-Key: <token>:<step>` (`<token>:event:<index>` for an event): the same for every retry of a submission. */
export function idempotencyKey(submission: Submission): string {
  return submission.step === 'event' ? `${submission.token}:event:${submission.event}` : `${submission.token}:${submission.step}`;
}

/**
 * The path that kills a job, per service (docs/ARCHITECTURE.md, the contract table): an event job's id is
 * `<process>/<job>` and takes a plain DELETE; the other services want `?kill=1`.
 */
const KILL_PATH: Record<ServiceName, (id: string) => string> = {
  healthcheck: (id) => `/jobs/${id}?kill=1`,
  copy: (id) => `/jobs/${id}?kill=1`,
  metadata: (id) => `/jobs/${id}?kill=1`,
  event: (id) => `/jobs/${id}`,
};

export interface JobServiceOptions {
  name: ServiceName;
  baseUrl: string;
  /** Redacts anything a service echoes back (URIs with passwords) before it reaches history. */
  redact: (text: string) => string;
  /** The services' key, sent as `Authorization: Bearer ...` when they require it (the local stack's LOCAL_STACK_TOKEN). */
  serviceKey?: string;
  /** One request's limit (HANDOVER_REQUEST_TIMEOUT); 30 s when not given. */
  requestTimeoutMs?: number;
  fetchImpl?: typeof fetch;
  /** The completion callback a submission carries (common/callbacks.ts); none when undefined. */
  callbackUrl?: (submission: Submission) => string | undefined;
  /** Where request errors and polls are counted (activities/metrics.ts). */
  metrics?: Pick<WorkerMetrics, 'jobServiceErrors' | 'jobPolls' | 'pollsPerJob'>;
}

/** The running activity's cancellation (worker shutdown past its grace, a cancelled handover), or undefined outside an activity. */
function activityCancellation(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}

/** The poll attempt this is (the waiting activity's attempt number), or undefined outside an activity. */
function attempt(): number | undefined {
  try {
    return Context.current().info.attempt;
  } catch {
    return undefined;
  }
}

export class JobServiceClient {
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly opts: JobServiceOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = opts.fetchImpl ?? fetch;
  }

  get name(): ServiceName {
    return this.opts.name;
  }

  ref(id: string): JobRef {
    return { service: this.opts.name, id, url: `${this.base}/jobs/${id}` };
  }

  /**
   * Submits a job. Its idempotency key (token + step) goes in the `Idempotency-Key` header, so a
   * retried submission after a worker crash returns the job already created instead of a second one.
   * The answer is checked against `schema` ({job_id} by default): a malformed one fails at once.
   */
  async submit<S extends z.ZodType = typeof submitAnswer>(body: object, submission: Submission, schema?: S): Promise<z.output<S>> {
    const callback = this.opts.callbackUrl?.(submission);
    const headers = { 'Idempotency-Key': idempotencyKey(submission) };
    const answer = await this.request('POST', '/jobs', { body: callback ? { ...body, callback_url: callback } : body, headers });
    return this.check((schema ?? submitAnswer) as S, answer, { service: this.opts.name, request: 'POST /jobs' });
  }

  /** A job's state, checked: `{id?, status, output?, progress?}` with status one of the five states. */
  async status(id: string): Promise<z.output<typeof pollAnswer>> {
    const answer = await this.request('GET', `/jobs/${id}`);
    return this.check(pollAnswer, answer, { service: this.opts.name, request: `GET /jobs/${id}`, job: this.ref(id) });
  }

  /** The failure message of a failed job (`?format=failures`), clipped; or what kept it from being read. */
  async failures(id: string): Promise<string> {
    try {
      const answer = await this.request('GET', `/jobs/${id}?format=failures`, { text: true });
      if (typeof answer === 'string') return clip(answer, LIMITS.failureText);
      return clip(
        checked(failuresAnswer, answer ?? {}, { service: this.opts.name, request: `GET /jobs/${id}?format=failures` }).msg ?? '',
        LIMITS.failureText,
      );
    } catch (err) {
      return err instanceof ApplicationFailure && err.type !== JOB_REJECTED ? `its failure message could not be read: ${err.message}` : '';
    }
  }

  async kill(id: string): Promise<void> {
    await this.request('DELETE', KILL_PATH[this.opts.name](id), { allow404: true, ignoreBody: true });
  }

  /**
   * Polls once: returns the output of a complete job, checked against `schema`; throws a retryable, benign
   * failure while it runs (the activity's retry policy paces the polling, adding no history) and a
   * non-retryable one if it failed or its answer is malformed (the workflow then kills the job).
   */
  async outputWhenDone<S extends z.ZodType>(id: string, schema: S): Promise<z.output<S>> {
    const job = await this.status(id);
    const service = this.opts.name;
    this.opts.metrics?.jobPolls.inc({ service, state: job.status }); // one of the five: pollAnswer checked it
    if (job.status === 'complete' || job.status === 'failed') {
      const polls = attempt();
      if (polls !== undefined) this.opts.metrics?.pollsPerJob.observe({ service }, polls);
    }
    switch (job.status) {
      case 'complete':
        return this.check(schema, job.output, { service, request: `GET /jobs/${id}`, job: this.ref(id), prefix: 'output' });
      case 'failed': {
        const why = (await this.failures(id)) || 'the job failed without a message';
        throw ApplicationFailure.nonRetryable(this.opts.redact(why), JOB_FAILED, { job: this.ref(id) });
      }
      default: {
        // The job's own progress rides on the failure: the API reads it from the pending activity.
        const progress: JobProgress = { service: this.opts.name, id, status: job.status, ...countsOf(job.progress) };
        const counted =
          progress.total !== undefined ? ` (${progress.complete} of ${progress.total}${progress.unit ? ` ${progress.unit}` : ''})` : '';
        // Bounded before it is redacted: a progress may be any JSON, of any size.
        const raw =
          !counted && job.progress !== undefined
            ? ` (${this.opts.redact(clip(JSON.stringify(boundJson(job.progress, 2 * LIMITS.progressChars)) ?? '', LIMITS.progressChars))})`
            : '';
        throw jobStillRunning(`${this.opts.name} job ${id} is ${job.status}${counted || raw}`, progress);
      }
    }
  }

  /** checked(), counting a malformed answer. */
  private check<S extends z.ZodType>(schema: S, answer: unknown, where: Parameters<typeof checked>[2]): z.output<S> {
    try {
      return checked(schema, answer, where);
    } catch (err) {
      this.countError('malformed');
      throw err;
    }
  }

  private countError(kind: JobServiceErrorKind): void {
    this.opts.metrics?.jobServiceErrors.inc({ service: this.opts.name, kind });
  }

  /**
   * One request: the answer parsed from JSON (undefined when empty). Its body is read no further than
   * LIMITS.answerBytes (an error's no further than LIMITS.errorBodyBytes): a service cannot make the worker
   * buffer a 50 MB answer. `text`: a body that is not JSON is returned as text instead of being malformed.
   */
  private async request(
    method: string,
    path: string,
    opts: { body?: object; headers?: Record<string, string>; allow404?: boolean; ignoreBody?: boolean; text?: boolean } = {},
  ): Promise<unknown> {
    const url = `${this.base}${path}`;
    const where = { service: this.opts.name, request: `${method} ${path}` };
    const cancelled = activityCancellation();
    // A timer cleared as soon as the answer is read, not AbortSignal.timeout(): that one's timer lives on for the
    // whole timeout and holds the finished activity's context with it (thousands of polls kept alive at once).
    const limitMs = this.opts.requestTimeoutMs ?? 30_000;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new DOMException(`no answer within ${limitMs} ms`, 'TimeoutError')), limitMs);
    let res: Response;
    let body: { text: string; over: boolean };
    try {
      res = await this.fetchImpl(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(opts.body ? { 'content-type': 'application/json' } : {}),
          ...(this.opts.serviceKey ? { authorization: `Bearer ${this.opts.serviceKey}` } : {}),
          ...opts.headers,
        },
        body: opts.body ? JSON.stringify(opts.body) : undefined,
        // A request stops at its timeout, or when the activity is cancelled: a worker told to stop (SIGTERM) hands
        // the attempt back once its shutdown grace is over instead of waiting for a slow service.
        signal: cancelled ? AbortSignal.any([timeout.signal, cancelled]) : timeout.signal,
      });
      const ok = res.status < 400;
      body = opts.ignoreBody
        ? (await res.body?.cancel(), { text: '', over: false })
        : await readBounded(res, ok ? LIMITS.answerBytes : LIMITS.errorBodyBytes);
    } catch (err) {
      if (cancelled?.aborted) throw cancelled.reason;
      this.countError((err as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable');
      // Down or unreachable: retryable, the step's deadline bounds how long.
      throw new Error(`${this.opts.name} service unreachable at ${this.base}: ${clip((err as Error).message, LIMITS.failureText)}`);
    } finally {
      clearTimeout(timer);
    }
    const { text } = body;
    if (res.status === 404 && opts.allow404) return undefined;
    // What a service says about an error is clipped before it is redacted (the redaction reads every character).
    if (res.status >= 500 || res.status === 429 || res.status === 408) {
      this.countError('server_error');
      throw new Error(`${this.opts.name} service answered ${res.status} to ${method} ${path}: ${this.opts.redact(clip(text, 300))}`);
    }
    if (res.status >= 400) {
      this.countError('refused');
      throw ApplicationFailure.nonRetryable(
        `${this.opts.name} service refused ${method} ${path} (${res.status}): ${this.opts.redact(clip(text, 500))}`,
        JOB_REJECTED,
      );
    }
    if (body.over) {
      this.countError('malformed');
      throw malformed(where, `is larger than ${LIMITS.answerBytes / 1024 / 1024} MiB (not read past that)`);
    }
    if (!text) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      if (opts.text) return text;
      this.countError('malformed');
      throw malformed(where, 'is not JSON');
    }
  }
}

/** A response's body as text, read no further than `limit` bytes (`over` when there was more). */
async function readBounded(res: Response, limit: number): Promise<{ text: string; over: boolean }> {
  if (!res.body) return { text: '', over: false };
  if (Number(res.headers.get('content-length')) > limit) {
    await res.body.cancel();
    return { text: '', over: true };
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { text: Buffer.concat(chunks).toString('utf8'), over: false };
    if (size + value.byteLength > limit) {
      chunks.push(value.subarray(0, limit - size));
      await reader.cancel();
      return { text: Buffer.concat(chunks).toString('utf8'), over: true };
    }
    chunks.push(value);
    size += value.byteLength;
  }
}

/**
 * A job's progress as numbers, from the shapes services report: `{complete, total, unit?}` (hive-style)
 * or `{tables_done, tables}` (the local copy service). Anything else has no numbers.
 */
export function countsOf(progress: unknown): Pick<JobProgress, 'complete' | 'total' | 'unit'> {
  if (!progress || typeof progress !== 'object') return {};
  const p = progress as Record<string, unknown>;
  const pair = (complete: unknown, total: unknown, unit?: unknown) =>
    Number.isFinite(complete) && Number.isFinite(total) && (total as number) > 0
      ? {
          complete: complete as number,
          total: total as number,
          ...(typeof unit === 'string' && /^[A-Za-z][A-Za-z _-]{0,39}$/.test(unit) ? { unit } : {}),
        }
      : undefined;
  return pair(p.complete, p.total, p.unit) ?? pair(p.tables_done, p.tables, 'tables') ?? {};
}
