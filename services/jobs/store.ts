/**
 * Each service keeps its jobs in its own SQLite file: a restart loses no job, a finished job stays readable.
 * No password reaches the file: inputs are kept with passwords replaced by ***, and the full input
 * sealed with the stack key (secrets.ts) for the job to run or resume; outputs, failures and progress
 * are redacted. Files are 0600 (see openStoreFile).
 */
import type { DatabaseSync } from 'node:sqlite';
import { openStoreFile } from '../db/store-file';
import { redact, safe } from '../db/uri';
import type { Sealer } from './secrets';

export type JobStatus = 'submitted' | 'running' | 'complete' | 'failed';

export interface JobRecord {
  id: number;
  key: string | null;
  kind: string;
  /** The input as submitted, passwords replaced by ***. The full input: JobStore.inputOf(job). */
  input: Record<string, unknown>;
  status: JobStatus;
  output?: unknown;
  failure?: string;
  progress?: unknown;
  created_at: string;
  updated_at: string;
  /** How many times the job was started (by a submission or a resume); see JobRunner for the limit. */
  attempts: number;
  /** When it was last started. */
  started_at?: string;
  /** The full input, sealed (only when it held a password). */
  sealed?: string;
}

interface Row {
  id: number;
  idem_key: string | null;
  kind: string;
  input: string;
  sealed: string | null;
  status: JobStatus;
  output: string | null;
  failure: string | null;
  progress: string | null;
  created_at: string;
  updated_at: string;
  attempts: number | null;
  started_at: string | null;
}

const fromRow = (r: Row): JobRecord => ({
  id: r.id,
  key: r.idem_key,
  kind: r.kind,
  input: JSON.parse(r.input) as Record<string, unknown>,
  status: r.status,
  output: r.output ? JSON.parse(r.output) : undefined,
  failure: r.failure ?? undefined,
  progress: r.progress ? JSON.parse(r.progress) : undefined,
  created_at: r.created_at,
  updated_at: r.updated_at,
  attempts: r.attempts ?? 0,
  ...(r.started_at ? { started_at: r.started_at } : {}),
  ...(r.sealed ? { sealed: r.sealed } : {}),
});

export class JobStore {
  private readonly db: DatabaseSync;

  constructor(
    file: string,
    private readonly sealer: Sealer,
  ) {
    this.db = openStoreFile(
      file,
      `CREATE TABLE IF NOT EXISTS jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT, idem_key TEXT UNIQUE, kind TEXT NOT NULL, input TEXT NOT NULL, sealed TEXT,
        status TEXT NOT NULL, output TEXT, failure TEXT, progress TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, started_at TEXT)`,
    );
    this.upgrade();
  }

  /**
   * Older stores are migrated in place. Written before sealing: they gain the column, and their passwords
   * are sealed away now. Written before attempts were counted: they gain `attempts` (0: a job they left
   * unfinished gets the full number of starts) and `started_at`.
   */
  private upgrade(): void {
    const columns = (this.db.prepare('PRAGMA table_info(jobs)').all() as Array<{ name: string }>).map((c) => c.name);
    if (!columns.includes('sealed')) this.db.exec('ALTER TABLE jobs ADD COLUMN sealed TEXT');
    if (!columns.includes('attempts')) this.db.exec('ALTER TABLE jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0');
    if (!columns.includes('started_at')) this.db.exec('ALTER TABLE jobs ADD COLUMN started_at TEXT');
    const rows = this.db.prepare('SELECT * FROM jobs WHERE sealed IS NULL').all() as unknown as Row[];
    let changed = false;
    this.db.exec('BEGIN');
    try {
      for (const r of rows) {
        const [input, output, failure, progress] = [r.input, r.output, r.failure, r.progress];
        const clean = {
          input: JSON.stringify(redact(JSON.parse(input))),
          output: output && JSON.stringify(redact(JSON.parse(output))),
          failure: failure && safe(failure),
          progress: progress && JSON.stringify(redact(JSON.parse(progress))),
        };
        if (clean.input === input && clean.output === output && clean.failure === failure && clean.progress === progress) continue;
        this.db
          .prepare('UPDATE jobs SET input = ?, sealed = ?, output = ?, failure = ?, progress = ? WHERE id = ?')
          .run(clean.input, clean.input === input ? null : this.sealer.seal(input), clean.output, clean.failure, clean.progress, r.id);
        changed = true;
      }
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
    if (changed) {
      this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      this.db.exec('VACUUM');
    }
  }

  /** Creates a job, or returns the one already made under the same idempotency key. */
  create(kind: string, input: Record<string, unknown>, key?: string): { job: JobRecord; created: boolean } {
    if (key) {
      const existing = this.db.prepare('SELECT * FROM jobs WHERE idem_key = ?').get(key) as Row | undefined;
      if (existing) return { job: fromRow(existing), created: false };
    }
    const now = new Date().toISOString();
    const full = JSON.stringify(input);
    const shown = JSON.stringify(redact(input));
    const { lastInsertRowid } = this.db
      .prepare("INSERT INTO jobs (idem_key, kind, input, sealed, status, created_at, updated_at) VALUES (?, ?, ?, ?, 'submitted', ?, ?)")
      .run(key ?? null, kind, shown, shown === full ? null : this.sealer.seal(full), now, now);
    return { job: this.get(Number(lastInsertRowid))!, created: true };
  }

  /** The job's full input, passwords included (only for running it). Throws when it cannot be unsealed. */
  inputOf(job: JobRecord): Record<string, unknown> {
    if (!job.sealed) return job.input;
    try {
      return JSON.parse(this.sealer.open(job.sealed)) as Record<string, unknown>;
    } catch {
      throw new Error("the job's sealed input cannot be opened: the stack's secret key is not the one it was sealed with");
    }
  }

  get(id: number): JobRecord | undefined {
    if (!Number.isSafeInteger(id)) return undefined;
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as Row | undefined;
    return row && fromRow(row);
  }

  update(id: number, patch: { status?: JobStatus; output?: unknown; failure?: string; progress?: unknown }): void {
    const sets: string[] = ['updated_at = ?'];
    const values: Array<string | null> = [new Date().toISOString()];
    const set = (column: string, value: string | null) => {
      sets.push(`${column} = ?`);
      values.push(value);
    };
    if (patch.status) set('status', patch.status);
    if ('output' in patch) set('output', JSON.stringify(redact(patch.output ?? null)));
    if ('failure' in patch) set('failure', patch.failure === undefined ? null : safe(patch.failure));
    if ('progress' in patch) set('progress', JSON.stringify(redact(patch.progress ?? null)));
    this.db.prepare(`UPDATE jobs SET ${sets.join(', ')} WHERE id = ?`).run(...values, id);
  }

  /** Records a start: the job is running, its attempts one more, started now. Returns the job as it now is. */
  started(id: number): JobRecord | undefined {
    const now = new Date().toISOString();
    this.db
      .prepare("UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = ?, updated_at = ? WHERE id = ?")
      .run(now, now, id);
    return this.get(id);
  }

  /** Takes back a start that a clean stop interrupted (it does not count against the job's limit). */
  unstarted(id: number): void {
    this.db.prepare('UPDATE jobs SET attempts = MAX(attempts - 1, 0) WHERE id = ?').run(id);
  }

  /** Jobs a restart interrupted: they run again. */
  unfinished(): JobRecord[] {
    return (this.db.prepare("SELECT * FROM jobs WHERE status IN ('submitted', 'running') ORDER BY id").all() as unknown as Row[]).map(
      fromRow,
    );
  }

  list(limit = 100): JobRecord[] {
    return (this.db.prepare('SELECT * FROM jobs ORDER BY id DESC LIMIT ?').all(limit) as unknown as Row[]).map(fromRow);
  }

  close(): void {
    this.db.close();
  }
}
