/**
 * The one client for the four job services (docs/ARCHITECTURE.md, "The four job-service contracts": submit, poll, kill, failures).
 * HTTP errors become Temporal failures with the right retry behaviour: a service that is down
 * (connection refused, 5xx) is retried; a request it refuses (4xx) is not.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { type JobProgress, type JobRef, type ServiceName, failureTypes } from '../vocabulary';
import type { JobServiceErrorKind, WorkerMetrics } from './metrics';

export type JobState = 'submitted' | 'running' | 'incomplete' | 'complete' | 'failed';

export interface JobStatus<Output = unknown> {
  id: string | number;
  status: JobState;
  output?: Output;
  progress?: unknown;
}

const { jobStillRunning: JOB_STILL_RUNNING, jobFailed: JOB_FAILED, jobRejected: JOB_REJECTED } = failureTypes;

export interface JobServiceOptions {
  name: ServiceName;
  baseUrl: string;
  /** The event service kills with a plain DELETE; the others want ?kill=1. */
  killQuery?: string;
  /** Redacts anything a service echoes back (URIs with passwords) before it reaches history. */
  redact: (text: string) => string;
  /** Sent as `Authorization: Bearer ...` when the services require it (the local stack's LOCAL_STACK_TOKEN). */
  token?: string;
  /** One request's limit (HANDOVER_REQUEST_TIMEOUT); 30 s when not given. */
  requestTimeoutMs?: number;
  fetchImpl?: typeof fetch;
  /** The completion callback a submission carries (common/callbacks.ts), from its idempotency key; none when undefined. */
  callbackUrl?: (idempotencyKey: string) => string | undefined;
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
   * Submits a job. The idempotency key (token + step) goes in the `Idempotency-Key` header, so a
   * retried submission after a worker crash returns the job already created instead of a second one.
   */
  async submit<T = { job_id: string | number }>(body: object, idempotencyKey: string): Promise<T> {
    const callback = this.opts.callbackUrl?.(idempotencyKey);
    return this.request<T>('POST', '/jobs', { body: callback ? { ...body, callback_url: callback } : body, headers: { 'Idempotency-Key': idempotencyKey } });
  }

  async status<Output>(id: string): Promise<JobStatus<Output>> {
    return this.request<JobStatus<Output>>('GET', `/jobs/${id}`);
  }

  /** The failure message of a failed job (`?format=failures`), or '' when the service has none. */
  async failures(id: string): Promise<string> {
    try {
      const answer = await this.request<{ msg?: string } | string>('GET', `/jobs/${id}?format=failures`);
      return typeof answer === 'string' ? answer : (answer?.msg ?? '');
    } catch {
      return '';
    }
  }

  async kill(id: string): Promise<void> {
    await this.request('DELETE', `/jobs/${id}${this.opts.killQuery ?? '?kill=1'}`, { allow404: true });
  }

  /**
   * Polls once: returns the output of a complete job; throws a retryable, benign failure while it runs
   * (the activity's retry policy paces the polling, adding no history) and a non-retryable one if it failed.
   */
  async outputWhenDone<Output>(id: string): Promise<Output> {
    const job = await this.status<Output>(id);
    const service = this.opts.name;
    this.opts.metrics?.jobPolls.inc({ service, state: ['submitted', 'running', 'incomplete', 'complete', 'failed'].includes(job.status) ? job.status : 'other' });
    if (job.status === 'complete' || job.status === 'failed') {
      const polls = attempt();
      if (polls !== undefined) this.opts.metrics?.pollsPerJob.observe({ service }, polls);
    }
    switch (job.status) {
      case 'complete':
        return job.output as Output;
      case 'failed': {
        const why = (await this.failures(id)) || 'the job failed without a message';
        throw ApplicationFailure.nonRetryable(this.opts.redact(why), JOB_FAILED, { job: this.ref(id) });
      }
      default: {
        // The job's own progress rides on the failure: the API reads it from the pending activity.
        const progress: JobProgress = { service: this.opts.name, id, status: job.status, ...countsOf(job.progress) };
        const counted = progress.total !== undefined ? ` (${progress.complete} of ${progress.total}${progress.unit ? ` ${progress.unit}` : ''})` : '';
        const raw = !counted && job.progress !== undefined ? ` (${this.opts.redact(JSON.stringify(job.progress)).slice(0, 300)})` : '';
        throw ApplicationFailure.create({
          message: `${this.opts.name} job ${id} is ${job.status}${counted || raw}`,
          type: JOB_STILL_RUNNING,
          category: ApplicationFailureCategory.BENIGN,
          details: [progress],
        });
      }
    }
  }

  private countError(kind: JobServiceErrorKind): void {
    this.opts.metrics?.jobServiceErrors.inc({ service: this.opts.name, kind });
  }

  private async request<T>(method: string, path: string, opts: { body?: object; headers?: Record<string, string>; allow404?: boolean } = {}): Promise<T> {
    const url = `${this.base}${path}`;
    const cancelled = activityCancellation();
    // A timer cleared as soon as the answer is read, not AbortSignal.timeout(): that one's timer lives on for the
    // whole timeout and holds the finished activity's context with it (thousands of polls kept alive at once).
    const limitMs = this.opts.requestTimeoutMs ?? 30_000;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new DOMException(`no answer within ${limitMs} ms`, 'TimeoutError')), limitMs);
    let res: Response;
    let text: string;
    try {
      res = await this.fetchImpl(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(opts.body ? { 'content-type': 'application/json' } : {}),
          ...(this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {}),
          ...opts.headers,
        },
        body: opts.body ? JSON.stringify(opts.body) : undefined,
        // A request stops at its timeout, or when the activity is cancelled: a worker told to stop (SIGTERM) hands
        // the attempt back once its shutdown grace is over instead of waiting for a slow service.
        signal: cancelled ? AbortSignal.any([timeout.signal, cancelled]) : timeout.signal,
      });
      text = await res.text();
    } catch (err) {
      if (cancelled?.aborted) throw cancelled.reason;
      this.countError((err as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable');
      // Down or unreachable: retryable, the step's deadline bounds how long.
      throw new Error(`${this.opts.name} service unreachable at ${this.base}: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    if (res.status === 404 && opts.allow404) return undefined as T;
    if (res.status >= 500 || res.status === 429 || res.status === 408) {
      this.countError('server_error');
      throw new Error(`${this.opts.name} service answered ${res.status} to ${method} ${path}: ${this.opts.redact(text.slice(0, 300))}`);
    }
    if (res.status >= 400) {
      this.countError('refused');
      throw ApplicationFailure.nonRetryable(`${this.opts.name} service refused ${method} ${path} (${res.status}): ${this.opts.redact(text.slice(0, 500))}`, JOB_REJECTED);
    }
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      return text as T;
    }
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
      ? { complete: complete as number, total: total as number, ...(typeof unit === 'string' && unit.length <= 40 ? { unit } : {}) }
      : undefined;
  return pair(p.complete, p.total, p.unit) ?? pair(p.tables_done, p.tables, 'tables') ?? {};
}
