/** Each service keeps its jobs in its own SQLite file: a restart loses no job, a finished job stays readable. */
import type { DatabaseSync } from 'node:sqlite';
import { openStoreFile } from '../db/database';

export type JobStatus = 'submitted' | 'running' | 'complete' | 'failed';

export interface JobRecord {
  id: number;
  key: string | null;
  kind: string;
  input: Record<string, unknown>;
  status: JobStatus;
  output?: unknown;
  failure?: string;
  progress?: unknown;
  created_at: string;
  updated_at: string;
}

interface Row {
  id: number;
  idem_key: string | null;
  kind: string;
  input: string;
  status: JobStatus;
  output: string | null;
  failure: string | null;
  progress: string | null;
  created_at: string;
  updated_at: string;
}

const fromRow = (r: Row): JobRecord => ({
  id: r.id,
  key: r.idem_key,
  kind: r.kind,
  input: JSON.parse(r.input),
  status: r.status,
  output: r.output ? JSON.parse(r.output) : undefined,
  failure: r.failure ?? undefined,
  progress: r.progress ? JSON.parse(r.progress) : undefined,
  created_at: r.created_at,
  updated_at: r.updated_at,
});

export class JobStore {
  private readonly db: DatabaseSync;

  constructor(file: string) {
    this.db = openStoreFile(
      file,
      `CREATE TABLE IF NOT EXISTS jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT, idem_key TEXT UNIQUE, kind TEXT NOT NULL, input TEXT NOT NULL,
        status TEXT NOT NULL, output TEXT, failure TEXT, progress TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`,
    );
  }

  /** Creates a job, or returns the one already made under the same idempotency key. */
  create(kind: string, input: Record<string, unknown>, key?: string): { job: JobRecord; created: boolean } {
    if (key) {
      const existing = this.db.prepare('SELECT * FROM jobs WHERE idem_key = ?').get(key) as Row | undefined;
      if (existing) return { job: fromRow(existing), created: false };
    }
    const now = new Date().toISOString();
    const { lastInsertRowid } = this.db
      .prepare("INSERT INTO jobs (idem_key, kind, input, status, created_at, updated_at) VALUES (?, ?, ?, 'submitted', ?, ?)")
      .run(key ?? null, kind, JSON.stringify(input), now, now);
    return { job: this.get(Number(lastInsertRowid))!, created: true };
  }

  get(id: number): JobRecord | undefined {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as Row | undefined;
    return row && fromRow(row);
  }

  update(id: number, patch: { status?: JobStatus; output?: unknown; failure?: string; progress?: unknown }): void {
    const sets: string[] = ['updated_at = ?'];
    const values: Array<string | null> = [new Date().toISOString()];
    if (patch.status) sets.push('status = ?'), values.push(patch.status);
    if ('output' in patch) sets.push('output = ?'), values.push(JSON.stringify(patch.output ?? null));
    if ('failure' in patch) sets.push('failure = ?'), values.push(patch.failure ?? null);
    if ('progress' in patch) sets.push('progress = ?'), values.push(JSON.stringify(patch.progress ?? null));
    this.db.prepare(`UPDATE jobs SET ${sets.join(', ')} WHERE id = ?`).run(...values, id);
  }

  /** Jobs a restart interrupted: they run again. */
  unfinished(): JobRecord[] {
    return (this.db.prepare("SELECT * FROM jobs WHERE status IN ('submitted', 'running') ORDER BY id").all() as unknown as Row[]).map(fromRow);
  }

  list(limit = 100): JobRecord[] {
    return (this.db.prepare('SELECT * FROM jobs ORDER BY id DESC LIMIT ?').all(limit) as unknown as Row[]).map(fromRow);
  }

  close(): void {
    this.db.close();
  }
}
