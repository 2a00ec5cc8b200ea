/**
 * The event job service: POST /jobs {type, genome, ...event} starts the processes configured for the
 * event type and answers 200 {event, processes: [{process, job}]}; GET/DELETE /jobs/{process}/{job}.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { locate } from '../db/uri';
import type { RunnerOptions } from '../jobs/runner';
import type { Sealer } from '../jobs/secrets';
import { bodyProblem, createJobService, idempotencyKey, redact } from '../jobs/service';
import { dumpDatabase } from './dump';

export interface EventServiceOptions {
  dataDir: string;
  dumpsDir: string;
  processesFile?: string;
  /** Passwords for databases named in events (events carry URIs without them): "user@host:port" -> password. */
  passwords?: Record<string, string>;
  token?: string;
  sealer?: Sealer;
  /** Attempt limit and backoff of resumed jobs (see JobRunner). */
  runner?: RunnerOptions;
}

/** What is wrong with an event, or undefined. A database the event names must be a database URI with an identifier name. */
function eventProblem(event: Record<string, unknown>): string | undefined {
  const problem = bodyProblem(event);
  if (problem) return problem;
  for (const field of ['type', 'genome']) {
    if (typeof event[field] !== 'string' || !event[field]) return 'type and genome are required';
    if (event[field].length > 256) return `${field} is longer than 256 characters`;
  }
  if (event.details === undefined) return undefined;
  if (!event.details || typeof event.details !== 'object' || Array.isArray(event.details)) return 'details must be an object';
  const uri = (event.details as Record<string, unknown>).database_uri;
  if (uri === undefined) return undefined;
  if (typeof uri !== 'string') return 'details.database_uri must be a string';
  try {
    locate(uri);
  } catch (err) {
    return `details.database_uri: ${(err as Error).message}`;
  }
  return undefined;
}

export function createEventService(opts: EventServiceOptions) {
  const processes = JSON.parse(readFileSync(opts.processesFile ?? path.join(__dirname, 'processes.json'), 'utf8')) as Record<
    string,
    string[]
  >;

  /** Puts the configured password back into a URI an event carried without it. */
  const withPassword = (uri: string) => {
    const l = locate(uri);
    if (l.engine !== 'mysql') return uri;
    const password = opts.passwords?.[`${l.user}@${l.host}:${l.port}`];
    if (!password) return uri.replace(/(\/\/[^:/@]*):\*\*\*@/, '$1@');
    const url = new URL(uri);
    url.password = encodeURIComponent(password);
    return url.toString();
  };

  return createJobService({
    name: 'event',
    dataDir: opts.dataDir,
    token: opts.token,
    sealer: opts.sealer,
    runner: opts.runner,
    validate: (input) => eventProblem(input),
    async work(input, { job, signal, progress }) {
      if (job.kind !== 'dump') throw new Error(`no process named ${job.kind}`);
      const details = (input.details ?? {}) as { database_uri?: string };
      if (!details.database_uri) throw new Error('the event names no database (details.database_uri)');
      // The job's signal reaches the database: a kill stops a MariaDB statement on the server too.
      return dumpDatabase(withPassword(details.database_uri), opts.dumpsDir, { signal, progress });
    },
    routes(app, service) {
      app.post<{ Body: Record<string, unknown> }>('/jobs', async (request, reply) => {
        const event = request.body ?? {};
        const problem = eventProblem(event);
        if (problem) return reply.code(400).send({ error: problem });
        const key = idempotencyKey(request.headers['idempotency-key']);
        const type = event.type as string;
        // Only the configured lists: a type such as `constructor` or `_comment` starts nothing.
        const configured = Object.hasOwn(processes, type) && Array.isArray(processes[type]) ? processes[type] : [];
        const started = configured.map((process) => ({ process, job: service.submit(process, event, key && `${key}:${process}`).id }));
        return reply.code(200).send({ event: redact(event), processes: started });
      });
      const find = (process: string, id: string) => {
        const job = /^\d{1,15}$/.test(id) ? service.store.get(Number(id)) : undefined;
        return job && job.kind === process ? job : undefined;
      };
      app.get<{ Params: { process: string; id: string } }>('/jobs/:process/:id', async (request, reply) => {
        const job = find(request.params.process, request.params.id);
        return job ? service.view(job) : reply.code(404).send({ error: 'no such job' });
      });
      app.delete<{ Params: { process: string; id: string } }>('/jobs/:process/:id', async (request, reply) => {
        const job = find(request.params.process, request.params.id);
        if (!job) return reply.code(404).send({ error: 'no such job' });
        await service.runner.kill(job.id);
        return reply.code(204).send();
      });
    },
  });
}
