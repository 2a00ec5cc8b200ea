/** The API's Prometheus metrics (prom-client), in a registry of its own, served at GET /metrics (README "Metrics"). */
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

export interface ApiMetrics {
  registry: Registry;
  handoversStarted: Counter<'database_type' | 'update_type'>;
  lockConflicts: Counter;
}

/** `processMetrics`: also Node's process metrics (CPU, memory, event loop), as api/main.ts asks. */
export function createApiMetrics(opts: { processMetrics?: boolean } = {}): ApiMetrics {
  const registry = new Registry();
  if (opts.processMetrics) collectDefaultMetrics({ register: registry });
  return {
    registry,
    handoversStarted: new Counter({
      name: 'handover_handovers_started_total',
      help: 'Handovers started (submitted, in a batch, or restarted), by database type and update type.',
      labelNames: ['database_type', 'update_type'] as const,
      registers: [registry],
    }),
    lockConflicts: new Counter({
      name: 'handover_lock_conflicts_total',
      help: 'Submissions answered 409 because another handover of the same database was running.',
      registers: [registry],
    }),
  };
}
