/**
 * Runs jobs in the background, one AbortController each, so a kill stops the work where it stands.
 *
 * Bounded crash loops: every start of a job is counted in its store (`attempts`, `started_at`) before its
 * work runs. At a service start (resume), a job left unfinished is started again only while its attempts
 * are below `maxAttempts` (default 3), and only after a backoff that grows with them (`backoffMs` x 4^(attempts-1):
 * 1 s, 4 s, 16 s ...); a job at the limit is marked failed, saying so, and not started again: a job whose
 * work takes its process down cannot crash-loop the services. A start that a clean stop (close, SIGINT,
 * SIGTERM) interrupted is taken back: only starts that did not end count.
 */
import type { JobRecord, JobStore } from './store';

export interface JobContext {
  job: JobRecord;
  signal: AbortSignal;
  progress: (progress: unknown) => void;
}

export type JobWork = (input: Record<string, unknown>, ctx: JobContext) => Promise<unknown>;

export class KilledError extends Error {
  constructor() {
    super('the job was killed');
  }
}

export interface RunnerOptions {
  /** Starts a job may have: an unfinished job already started this often is failed at the next resume. Default 3. */
  maxAttempts?: number;
  /** The backoff before resuming a job started once; x4 for each further start. Default 1000 ms. */
  backoffMs?: number;
  /**
   * TEST HOOK, never set in production: a job whose kind or idempotency key equals this exits the process
   * (code 70) 100 ms after its start is recorded, as work that crashes its service would. services/main.ts sets it
   * from LOCAL_STACK_CRASH_ON only when LOCAL_STACK_TEST_HOOKS=1.
   */
  crashOn?: string;
  /** Called once a job has ended (complete or failed), with its record: the service's completion callback. */
  onEnd?: (job: JobRecord) => void;
}

export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_BACKOFF_MS = 1000;

/** The failure of a job that its starts never finished. */
export function crashLoopFailure(job: JobRecord): string {
  const times = job.attempts === 1 ? 'once' : `${job.attempts} times`;
  return (
    `the job was started ${times} and did not finish: it crashed its service each time (last start ${job.started_at ?? 'unknown'}); ` +
    `not started again`
  );
}

export class JobRunner {
  private readonly running = new Map<number, AbortController>();
  private readonly done = new Map<number, Promise<void>>();
  /** Jobs waiting out their backoff before they resume. */
  private readonly waiting = new Map<number, NodeJS.Timeout>();
  readonly maxAttempts: number;
  readonly backoffMs: number;

  constructor(
    private readonly store: JobStore,
    private readonly work: JobWork,
    private readonly options: RunnerOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.backoffMs = options.backoffMs ?? DEFAULT_BACKOFF_MS;
    if (!Number.isSafeInteger(this.maxAttempts) || this.maxAttempts < 1)
      throw new Error(`maxAttempts must be a whole number of 1 or more (got ${this.maxAttempts})`);
    if (!Number.isFinite(this.backoffMs) || this.backoffMs < 0) throw new Error(`backoffMs must be 0 or more (got ${this.backoffMs})`);
  }

  /** How long a job started `attempts` times waits before it resumes: none for a job never started. */
  backoff(attempts: number): number {
    return attempts <= 0 ? 0 : this.backoffMs * 4 ** Math.min(attempts - 1, 10);
  }

  start(job: JobRecord): void {
    const controller = new AbortController();
    this.running.set(job.id, controller);
    const finished = this.run(job, controller).finally(() => {
      this.running.delete(job.id);
      this.done.delete(job.id);
    });
    this.done.set(job.id, finished);
  }

  /** Restarts what a previous process left unfinished, within the attempt limit and after each job's backoff. */
  resume(): void {
    for (const job of this.store.unfinished()) {
      if (job.attempts >= this.maxAttempts) {
        this.store.update(job.id, { status: 'failed', failure: crashLoopFailure(job) });
        this.ended(job.id);
        continue;
      }
      const delay = this.backoff(job.attempts);
      if (delay === 0) {
        this.start(job);
        continue;
      }
      const timer = setTimeout(() => {
        this.waiting.delete(job.id);
        const now = this.store.get(job.id);
        if (now && (now.status === 'submitted' || now.status === 'running')) this.start(now);
      }, delay);
      this.waiting.set(job.id, timer);
    }
  }

  /** Stops a running job (its work cleans up after itself) and waits until it has. */
  async kill(id: number): Promise<boolean> {
    const job = this.store.get(id);
    if (!job) return false;
    const waiting = this.waiting.get(id);
    if (waiting) {
      clearTimeout(waiting);
      this.waiting.delete(id);
    }
    const controller = this.running.get(id);
    if (controller) {
      controller.abort(new KilledError());
      await this.done.get(id);
    } else if (job.status === 'submitted' || job.status === 'running') {
      this.store.update(id, { status: 'failed', failure: 'the job was killed' });
    }
    return true;
  }

  /** Waits for every running job (tests, shutdown). */
  async idle(): Promise<void> {
    await Promise.all(this.done.values());
  }

  /** Stops all running jobs without marking them: they resume at the next start. */
  async stopAll(): Promise<void> {
    for (const timer of this.waiting.values()) clearTimeout(timer);
    this.waiting.clear();
    for (const controller of this.running.values()) controller.abort(new Error('service stopping'));
    await this.idle();
  }

  private async run(job: JobRecord, controller: AbortController): Promise<void> {
    const started = this.store.started(job.id) ?? job;
    try {
      const crashOn = this.options.crashOn;
      if (crashOn !== undefined && crashOn !== '' && (started.kind === crashOn || started.key === crashOn)) {
        console.error(
          `TEST HOOK LOCAL_STACK_CRASH_ON=${crashOn}: job ${job.id} (${job.kind}, start ${started.attempts}) exits the process with code ` +
            `70`,
        );
        await new Promise((resolve) => setTimeout(resolve, 100)); // its submission is answered first
        process.exit(70);
      }
      const output = await this.work(this.store.inputOf(started), {
        job: started,
        signal: controller.signal,
        progress: (progress) => this.store.update(job.id, { progress }),
      });
      // Work that returns has done what it set out to do (a copy that swapped its target in is complete
      // even if a kill came after the point of no return): the job says so.
      this.store.update(job.id, { status: 'complete', output });
      this.ended(job.id);
    } catch (err) {
      const reason: unknown = controller.signal.reason;
      if (controller.signal.aborted && !(reason instanceof KilledError)) {
        this.store.unstarted(job.id); // a clean stop: left to resume, and this start does not count
        return;
      }
      const message = reason instanceof KilledError ? reason.message : ((err as Error)?.message ?? String(err));
      this.store.update(job.id, { status: 'failed', failure: message });
      this.ended(job.id);
    }
  }

  private ended(id: number): void {
    const job = this.store.get(id);
    if (job && this.options.onEnd) this.options.onEnd(job);
  }
}
