/**
 * Job services for the benchmarks: real HTTP servers that follow the four contracts, whose jobs take a fixed
 * time and, when the submission carries `callback_url`, call it at the job's end (as the local stack does).
 * Each job records when it ended, so a benchmark can measure how soon the handover moved on.
 */
import Fastify from 'fastify';
import type { ServiceName } from '../../vocabulary';

export interface TimedJob {
  service: ServiceName;
  id: number;
  key?: string;
  endsAt: number;
  input: Record<string, unknown>;
}

export class TimedJobServices {
  readonly jobs: TimedJob[] = [];
  private readonly app = Fastify();
  private nextId = 1;
  private base = '';

  constructor(private readonly jobMs: number) {}

  url(service: ServiceName): string {
    return `${this.base}/${service}`;
  }

  async start(): Promise<void> {
    const { app } = this;
    app.post<{ Params: { service: ServiceName }; Body: Record<string, unknown> }>('/:service/jobs', async (request, reply) => {
      const { service } = request.params;
      const key = request.headers['idempotency-key'] as string | undefined;
      let job = key ? this.jobs.find((j) => j.service === service && j.key === key) : undefined;
      if (!job) {
        job = { service, id: this.nextId++, key, endsAt: Date.now() + (service === 'event' ? 0 : this.jobMs), input: request.body };
        this.jobs.push(job);
        const callback = request.body.callback_url;
        const id = job.id;
        if (typeof callback === 'string')
          setTimeout(
            () =>
              void fetch(callback, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ job_id: id, status: 'complete' }),
              }).catch(() => undefined),
            this.jobMs,
          ).unref();
      }
      if (service === 'event') return reply.code(200).send({ event: request.body, processes: [{ process: 'dump', job: job.id }] });
      return reply.code(201).send({ job_id: job.id });
    });
    app.get<{ Params: { service: ServiceName; id: string } }>('/:service/jobs/:id', async (request, reply) => {
      const job = this.jobs.find((j) => j.service === request.params.service && String(j.id) === request.params.id);
      if (!job) return reply.code(404).send({ error: 'no such job' });
      if (Date.now() < job.endsAt) return { id: job.id, status: 'running' };
      const input = job.input as Record<string, string>;
      switch (job.service) {
        case 'healthcheck':
          return { id: job.id, status: 'complete', output: { db_name: 'db', status: 'passed', results: {} } };
        case 'metadata':
          return {
            id: job.id,
            status: 'complete',
            output: { database_uri: input.database_uri, events: [{ type: 'new_assembly', genome: 'homo_sapiens', details: {} }] },
          };
        default:
          return { id: job.id, status: 'complete', output: {} };
      }
    });
    app.delete('/:service/jobs/:id', async (_request, reply) => reply.code(204).send());
    this.base = await app.listen({ host: '127.0.0.1', port: 0 });
  }

  async stop(): Promise<void> {
    await this.app.close();
  }
}
