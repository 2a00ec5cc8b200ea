/**
 * The copy job service: POST /jobs {source_db_uri, target_db_uri, only_tables?, skip_tables?, drop?}.
 * Targets must be on staging (the target roots, targets.ts): anything else is refused with 400 and no
 * job. One copy per target at a time: a second job for a target waits (progress `{waiting}`) until the
 * first has finished, then runs (a kill ends the wait).
 */
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { isIdentifier, isWithin, printable } from '../db/names';
import { uriFieldProblem } from '../db/uri';
import { createJobService, listProblem } from '../jobs/service';
import type { RunnerOptions } from '../jobs/runner';
import type { Sealer } from '../jobs/secrets';
import { type CopyInput, copyDatabase } from './copy';
import { checkSource, checkTarget, parseTargetRoots } from './targets';

export interface CopyServiceOptions {
  dataDir: string;
  streams?: number;
  /** Staging folders and servers targets must be on: sqlite:////abs/folder/ and mysql://[user@]host:port/ URIs. */
  targetRoots: string | string[];
  /** Source folders and servers copies may read from, written as target roots are (none: no source is allowed). */
  sourceRoots?: string | string[];
  /** Folders no target may be in (the stack's data folder); dataDir always is. */
  protectedDirs?: string[];
  token?: string;
  sealer?: Sealer;
  /** Attempt limit and backoff of resumed jobs (see JobRunner). */
  runner?: RunnerOptions;
}

/** Per-key queues: acquire() resolves when every earlier holder of the key has released it. */
export class TargetLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async acquire(key: string, signal?: AbortSignal, waiting?: () => void): Promise<() => void> {
    const previous = this.tails.get(key);
    let free!: () => void;
    const mine = new Promise<void>((r) => (free = r));
    const tail = (previous ?? Promise.resolve()).then(() => mine);
    this.tails.set(key, tail);
    const release = () => {
      free();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
    if (previous) {
      waiting?.();
      try {
        await new Promise<void>((resolve, reject) => {
          // The runner aborts with an Error (KilledError, or 'service stopping'): that is the rejection.
          const abort = () => reject(signal!.reason as Error);
          if (signal?.aborted) return abort();
          signal?.addEventListener('abort', abort, { once: true });
          void previous.then(() => {
            signal?.removeEventListener('abort', abort);
            resolve();
          });
        });
      } catch (err) {
        release();
        throw err;
      }
    }
    return release;
  }
}

export function createCopyService(opts: CopyServiceOptions) {
  const policy = { roots: parseTargetRoots(opts.targetRoots), protectedDirs: [opts.dataDir, ...(opts.protectedDirs ?? [])] };
  // Staging folders exist (their real paths are what targets are compared with), and none is the stack's own data.
  for (const root of policy.roots) {
    if (root.engine !== 'sqlite') continue;
    mkdirSync(root.folder, { recursive: true });
    for (const dir of policy.protectedDirs) {
      if (existsSync(dir) && isWithin(realpathSync(dir), realpathSync(root.folder)))
        throw new Error(`target root ${root.text} is inside the local stack's own data folder ${dir}`);
    }
  }
  const sources = { roots: parseTargetRoots(opts.sourceRoots ?? []), protectedDirs: policy.protectedDirs };
  const locks = new TargetLocks();
  const tableName = (t: string) => (isIdentifier(t) ? undefined : `\`${printable(t)}\` is not a table name (letters, digits and _ only)`);
  return createJobService({
    name: 'copy',
    dataDir: opts.dataDir,
    token: opts.token,
    sealer: opts.sealer,
    runner: opts.runner,
    async validate(input) {
      const problem =
        uriFieldProblem(input, 'source_db_uri') ??
        uriFieldProblem(input, 'target_db_uri') ??
        listProblem(input, 'only_tables', tableName) ??
        listProblem(input, 'skip_tables', tableName) ??
        (input.drop !== undefined && typeof input.drop !== 'boolean' ? 'drop must be true or false' : undefined);
      if (problem) return problem;
      await checkSource(input.source_db_uri as string, sources, 'source_db_uri'); // InputError: 400, no job
      await checkTarget(input.source_db_uri as string, input.target_db_uri as string, policy); // InputError: 400, no job
      return undefined;
    },
    work: (input, { signal, progress }) =>
      copyDatabase(input as unknown as CopyInput, {
        policy,
        sources,
        signal,
        progress,
        streams: opts.streams,
        lock: (key, s) =>
          locks.acquire(key, s, () => progress({ waiting: 'another copy to the same target is running; this one starts when it ends' })),
      }),
  });
}
