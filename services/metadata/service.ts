/** The metadata job service: POST /jobs {database_uri, update_type, email, comment, source} -> events. */
import path from 'node:path';
import { openDatabase } from '../db/database';
import { InputError } from '../db/names';
import { locate, safe, uriFieldProblem } from '../db/uri';
import type { RunnerOptions } from '../jobs/runner';
import type { Sealer } from '../jobs/secrets';
import { createJobService } from '../jobs/service';
import { type MetaValues, metaValues, nameMetaProblems, parseDatabaseName } from './names';
import { MetadataStore } from './store';

export function createMetadataService(opts: {
  dataDir: string;
  storeFile?: string;
  token?: string;
  sealer?: Sealer;
  runner?: RunnerOptions;
}) {
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
      let meta: MetaValues;
      try {
        meta = metaValues(
          (await db.tables()).includes('meta')
            ? await db.select<{ meta_key: string; meta_value: string }>('SELECT meta_key, meta_value FROM meta')
            : [],
        );
      } finally {
        await db.close();
      }
      // What is recorded and retired is the name's species and type, never what meta claims: a
      // mus_musculus database whose meta says homo_sapiens must not retire the human record. A
      // disagreement is refused outright (the healthcheck's NameMatchesMeta says the same, earlier).
      const disagreement = nameMetaProblems(name, meta);
      if (disagreement.length) throw new InputError(`${name} is not recorded: ${disagreement.join('; ')}`);
      const first = (key: string) => meta.get(key)?.[0];
      const species = parsed.species;
      const decision = store.record({
        ...parsed,
        name,
        uri: safe(uri),
        assembly: first('assembly.default') ?? parsed.assembly,
        genebuild: first('genebuild.last_geneset_update') ?? first('genebuild.start_date') ?? first('genebuild.version'),
        updateType: typeof input.update_type === 'string' ? input.update_type.slice(0, 64) : undefined,
        // The handover's idempotency key is "<token>:metadata".
        token: job.key?.split(':')[0],
        contact: input.email as string | undefined,
        comment: input.comment as string | undefined,
      });
      const source = input.source ?? 'Handover';
      const details = {
        email: input.email,
        comment: input.comment,
        database: name,
        database_uri: safe(uri),
        current_database_list: decision.superseded,
      };
      return {
        database_uri: safe(uri),
        runtime: `${((Date.now() - started) / 1000).toFixed(1)} seconds`,
        events: [
          {
            type: decision.type,
            genome: species === 'multi' ? name : species,
            source: typeof source === 'string' ? source : JSON.stringify(source),
            details,
          },
        ],
      };
    },
  });
  const close = service.close.bind(service);
  return Object.assign(service, { metadata: store, close: async () => (await close(), store.close()) });
}
