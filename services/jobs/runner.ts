/** Runs jobs in the background, one AbortController each, so a kill stops the work where it stands. */
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

export class JobRunner {
  private readonly running = new Map<number, AbortController>();
  private readonly done = new Map<number, Promise<void>>();

  constructor(
    private readonly store: JobStore,
    private readonly work: JobWork,
  ) {}

  start(job: JobRecord): void {
    const controller = new AbortController();
    this.running.set(job.id, controller);
    const finished = this.run(job, controller).finally(() => {
      this.running.delete(job.id);
      this.done.delete(job.id);
    });
    this.done.set(job.id, finished);
  }

  /** Restarts what a previous process left unfinished. */
  resume(): void {
    for (const job of this.store.unfinished()) this.start(job);
  }

  /** Stops a running job (its work cleans up after itself) and waits until it has. */
  async kill(id: number): Promise<boolean> {
    const job = this.store.get(id);
    if (!job) return false;
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
    for (const controller of this.running.values()) controller.abort(new Error('service stopping'));
    await this.idle();
  }

  private async run(job: JobRecord, controller: AbortController): Promise<void> {
    this.store.update(job.id, { status: 'running' });
    try {
      const output = await this.work(this.store.inputOf(job), {
        job,
        signal: controller.signal,
        progress: (progress) => this.store.update(job.id, { progress }),
      });
      // Work that returns has done what it set out to do (a copy that swapped its target in is complete
      // even if a kill came after the point of no return): the job says so.
      this.store.update(job.id, { status: 'complete', output });
    } catch (err) {
      const reason: unknown = controller.signal.reason;
      if (controller.signal.aborted && !(reason instanceof KilledError)) return; // stopping: left to resume
      const message = reason instanceof KilledError ? reason.message : ((err as Error)?.message ?? String(err));
      this.store.update(job.id, { status: 'failed', failure: message });
    }
  }
}
