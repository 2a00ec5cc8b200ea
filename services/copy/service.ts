/** The copy job service: POST /jobs {source_db_uri, target_db_uri, only_tables?, skip_tables?, drop?}. */
import { locate, uriFieldProblem } from '../db/uri';
import { createJobService } from '../jobs/service';
import { type CopyInput, copyDatabase } from './copy';

export function createCopyService(opts: { dataDir: string; streams?: number }) {
  return createJobService({
    name: 'copy',
    dataDir: opts.dataDir,
    validate(input) {
      const uriProblem = uriFieldProblem(input, 'source_db_uri') ?? uriFieldProblem(input, 'target_db_uri');
      if (uriProblem) return uriProblem;
      if (locate(input.source_db_uri as string).engine !== locate(input.target_db_uri as string).engine) return 'source and target must be the same engine';
      for (const field of ['only_tables', 'skip_tables']) if (input[field] !== undefined && !Array.isArray(input[field])) return `${field} must be a list`;
      return undefined;
    },
    work: (input, { signal, progress }) => copyDatabase(input as unknown as CopyInput, { signal, progress, streams: opts.streams }),
  });
}
