/**
 * The worker's Prometheus metrics (prom-client), in one registry per worker: createHandoverWorker makes
 * it, the activities record into it, worker/metrics-server.ts serves it. README "Metrics" lists them.
 * The Temporal SDK's own metrics (task slots, latencies) are served by the SDK itself (worker/main.ts).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { HandoverReport } from '../vocabulary';

/** What a job-service request error was: no answer, an answer too slow, a 5xx (or 408/429), a refusal (4xx). */
export type JobServiceErrorKind = 'unreachable' | 'timeout' | 'server_error' | 'refused' | 'malformed';

/** Step durations: from seconds to the longest deadlines (a day). */
const STEP_BUCKETS = [1, 5, 15, 60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600];
const POLL_BUCKETS = [1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000];

export interface WorkerMetrics {
  registry: Registry;
  handoversEnded: Counter<'status' | 'database_type'>;
  stepDuration: Histogram<'step' | 'outcome'>;
  stepRunningSince: Gauge<'token' | 'step'>;
  stepDeadline: Gauge<'step'>;
  jobServiceErrors: Counter<'service' | 'kind'>;
  jobPolls: Counter<'service' | 'state'>;
  pollsPerJob: Histogram<'service'>;
  /** Records what a step-transition report says (called by publishReport, once per report). */
  observeReport(report: HandoverReport): void;
}

/** `processMetrics`: also Node's process metrics (CPU, memory, event loop), as the worker process does. */
export function createWorkerMetrics(opts: { processMetrics?: boolean; stepDeadlines?: Record<string, number> } = {}): WorkerMetrics {
  const registry = new Registry();
  if (opts.processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const metrics = {
    registry,
    handoversEnded: new Counter({
      name: 'handover_handovers_ended_total',
      help: 'Handovers that ended, by final status (completed, failed, cancelled, rejected) and database type.',
      labelNames: ['status', 'database_type'] as const,
      registers,
    }),
    stepDuration: new Histogram({
      name: 'handover_step_duration_seconds',
      help: 'How long each step ran, by step and outcome (passed, failed, timed out, cancelled, skipped).',
      labelNames: ['step', 'outcome'] as const,
      buckets: STEP_BUCKETS,
      registers,
    }),
    stepRunningSince: new Gauge({
      name: 'handover_step_running_since_seconds',
      help: 'Unix time at which a step still running began, by handover token and step (removed when the step ends).',
      labelNames: ['token', 'step'] as const,
      registers,
    }),
    stepDeadline: new Gauge({
      name: 'handover_step_deadline_seconds',
      help: "Each step's deadline as this worker is configured (HANDOVER_*_DEADLINE).",
      labelNames: ['step'] as const,
      registers,
    }),
    jobServiceErrors: new Counter({
      name: 'handover_job_service_errors_total',
      help: 'Failed requests to a job service, by service and kind (unreachable, timeout, server_error, refused, malformed).',
      labelNames: ['service', 'kind'] as const,
      registers,
    }),
    jobPolls: new Counter({
      name: 'handover_job_polls_total',
      help: "Status polls of jobs, by service and the job's state in the answer (running, complete, failed, ...).",
      labelNames: ['service', 'state'] as const,
      registers,
    }),
    pollsPerJob: new Histogram({
      name: 'handover_job_polls_per_job',
      help: 'Poll attempts a job took until it ended (the waiting activity’s attempt number), by service.',
      labelNames: ['service'] as const,
      buckets: POLL_BUCKETS,
      registers,
    }),
  };
  for (const [step, seconds] of Object.entries(opts.stepDeadlines ?? {})) metrics.stepDeadline.set({ step }, seconds);

  /** The step each running handover is in on this worker, to clear its gauge. */
  const running = new Map<string, string>();
  const clear = (token: string) => {
    const step = running.get(token);
    if (step !== undefined) metrics.stepRunningSince.remove({ token, step });
    running.delete(token);
  };

  return {
    ...metrics,
    observeReport(report: HandoverReport) {
      const { handover_token, step, status, outcome, step_started_at, database_type } = report.params;
      const token = String(handover_token ?? '');
      if (status !== 'running') {
        // The final report: the handover ended.
        clear(token);
        if (typeof status === 'string') metrics.handoversEnded.inc({ status, database_type: String(database_type ?? 'unknown') });
        return;
      }
      if (typeof step !== 'string') return;
      if (typeof outcome === 'string') {
        // A step ended: its duration, from its start to this report.
        clear(token);
        const started = typeof step_started_at === 'string' ? Date.parse(step_started_at) : NaN;
        const ended = Date.parse(`${report.report_time}Z`);
        if (Number.isFinite(started) && Number.isFinite(ended))
          metrics.stepDuration.observe({ step, outcome }, Math.max(0, ended - started) / 1000);
        return;
      }
      // A step began.
      clear(token);
      running.set(token, step);
      metrics.stepRunningSince.set({ token, step }, Date.parse(`${report.report_time}Z`) / 1000);
    },
  };
}
