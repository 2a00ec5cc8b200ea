/** The metadata job service: POST /jobs {database_uri, update_type, email, comment, source} -> events. */
import path from 'node:path';
import { openDatabase } from '../db/database';
import { locate, safe, uriFieldProblem } from '../db/uri';
import type { RunnerOptions } from '../jobs/runner';
import type { Sealer } from '../jobs/secrets';
import { createJobService } from '../jobs/service';
import { parseDatabaseName } from './names';
import { MetadataStore } from './store';

export function createMetadataService(opts: { dataDir: string; storeFile?: string; token?: string; sealer?: Sealer; runner?: RunnerOptions }) {
  const store = new MetadataStore(opts.storeFile ?? path.join(opts.dataDir, 'metadata.sqlite'));
  const service = createJobService({
    name: 'metadata',
    dataDir: opts.dataDir,
    token: opts.token,
    sealer: opts.sealer,
    runner: opts.runner,
    validate: (input) => uriFieldProblem(input, 'database_uri'),
    async work(input, { job }) {
      const started = Date.now();
      const uri = String(input.database_uri);
      const name = locate(uri).name;
      const parsed = parseDatabaseName(name);
      const db = await openDatabase(uri);
      let meta: Map<string, string>;
      try {
        const rows = (await db.tables()).includes('meta') ? await db.select<{ meta_key: string; meta_value: string }>('SELECT meta_key, meta_value FROM meta') : [];
        meta = new Map(rows.map((r) => [r.meta_key, String(r.meta_value)]));
      } finally {
        await db.close();
      }
      const species = meta.get('species.production_name') ?? parsed.species;
      const decision = store.record({
        ...parsed,
        species,
        name,
        uri: safe(uri),
        assembly: meta.get('assembly.default') ?? parsed.assembly,
        genebuild: meta.get('genebuild.last_geneset_update') ?? meta.get('genebuild.start_date') ?? meta.get('genebuild.version'),
        updateType: typeof input.update_type === 'string' ? input.update_type.slice(0, 64) : undefined,
        // The handover's idempotency key is "<token>:metadata".
        token: job.key?.split(':')[0],
        contact: input.email as string | undefined,
        comment: input.comment as string | undefined,
      });
      const source = input.source ?? 'Handover';
      const details = { email: input.email, comment: input.comment, database: name, database_uri: safe(uri), current_database_list: decision.superseded };
      return {
        database_uri: safe(uri),
        runtime: `${((Date.now() - started) / 1000).toFixed(1)} seconds`,
        events: [{ type: decision.type, genome: species === 'multi' ? name : species, source: typeof source === 'string' ? source : JSON.stringify(source), details }],
      };
    },
  });
  const close = service.close.bind(service);
  return Object.assign(service, { metadata: store, close: async () => (await close(), store.close()) });
}
