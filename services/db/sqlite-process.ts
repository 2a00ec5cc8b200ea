/**
 * One SQLite connection held by a child process of its own. node:sqlite is synchronous: its open of a file
 * that is not one (a FIFO swapped in after the check, a hung network path) never returns, and every
 * statement holds the thread that runs it. In a process of its own, neither blocks the event loop of the
 * service that asked: the open has a deadline, a statement can be abandoned at once (`terminate()`, a job's
 * kill), and the service keeps answering meanwhile. Not a worker thread: a thread stuck in the kernel
 * cannot be stopped, and holds its whole process at exit (measured: `process.exit()` never returned); a
 * process is SIGKILLed.
 *
 * The child's script is plain JavaScript, evaluated by the same node (no TypeScript loader is needed, under
 * tsx, node or jest alike); it only opens, runs the SQL it is sent, and answers, over an IPC channel that
 * carries bigints and BLOBs (`serialization: 'advanced'`). Every SQL text is built by the caller.
 */
import { type ChildProcess, spawn } from 'node:child_process';

/** How long the open of a database (and its first statement) may take: a local file takes milliseconds. */
const SQLITE_OPEN_TIMEOUT_MS = 30_000;

export type SqlValue = string | number | bigint | null | Uint8Array;

export interface OpenConnectionOptions {
  readOnly?: boolean;
  /** Run once opened, before anything else (`PRAGMA trusted_schema = OFF`...). */
  setup?: string[];
  timeoutMs?: number;
}

type Answer = { id: number; ok?: unknown; rows?: unknown[]; done?: boolean; error?: string };

export class SqliteConnection {
  private readonly pending = new Map<number, { resolve: (a: Answer) => void; reject: (e: Error) => void }>();
  private next = 1;
  private ended: Error | undefined;
  /** Resolves once the child has exited (closed, killed or crashed). */
  readonly gone: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    this.gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.on('message', (answer: Answer) => {
      const waiting = this.pending.get(answer.id);
      if (!waiting) return;
      this.pending.delete(answer.id);
      if (answer.error !== undefined) waiting.reject(new Error(answer.error));
      else waiting.resolve(answer);
    });
    const end = (err: Error) => {
      this.ended ??= err;
      for (const waiting of this.pending.values()) waiting.reject(this.ended);
      this.pending.clear();
    };
    child.on('error', end);
    child.on('exit', (code, signal) => end(new Error(`the SQLite connection ended (${signal ?? `exit ${code}`})`)));
  }

  /** Opens `file` in a new process; rejects if it does not open (and answer) within the timeout. */
  static async open(file: string, opts: OpenConnectionOptions = {}): Promise<SqliteConnection> {
    const timeoutMs = opts.timeoutMs ?? SQLITE_OPEN_TIMEOUT_MS;
    const child = spawn(process.execPath, ['--no-warnings', '-e', CHILD_SCRIPT], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    const connection = new SqliteConnection(child);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`it did not open within ${timeoutMs / 1000} s (is it a regular file on a responsive disk?)`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([connection.ask({ op: 'open', file, readOnly: opts.readOnly ?? false, setup: opts.setup ?? [] }), late]);
      return connection;
    } catch (err) {
      connection.terminate();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private ask(request: Record<string, unknown>): Promise<Answer> {
    if (this.ended) return Promise.reject(this.ended);
    const id = this.next++;
    return new Promise<Answer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ ...request, id }, (err) => {
        if (err && this.pending.delete(id)) reject(this.ended ?? err);
      });
    });
  }

  /** Every row of one statement. `bigints`: integers as bigint (rowids beyond 2^53). */
  async all<T = Record<string, unknown>>(sql: string, params: SqlValue[] = [], bigints = false): Promise<T[]> {
    return (await this.ask({ op: 'all', sql, params, bigints })).ok as T[];
  }

  /** The first row of one statement, or undefined. */
  async get<T = Record<string, unknown>>(sql: string, params: SqlValue[] = [], bigints = false): Promise<T | undefined> {
    return (await this.ask({ op: 'get', sql, params, bigints })).ok as T | undefined;
  }

  /** One statement that returns no rows (prepared: a second statement in the text is an error). */
  async run(sql: string, params: SqlValue[] = []): Promise<void> {
    await this.ask({ op: 'run', sql, params });
  }

  /** SQL without parameters (BEGIN, COMMIT, PRAGMA ...). */
  async exec(sql: string): Promise<void> {
    await this.ask({ op: 'exec', sql });
  }

  /**
   * The rows of one query, `batch` at a time: the child steps the statement only as far as the caller
   * has read, so memory stays flat. Leaving the loop early resets the statement.
   */
  async *rows<T = Record<string, unknown>>(sql: string, batch = 2000): AsyncGenerator<T> {
    // Rows travel as arrays (a third less to serialise than objects), the column names once.
    const { cursor, columns } = (await this.ask({ op: 'rows', sql })).ok as { cursor: number; columns: string[] };
    let done = false;
    try {
      while (!done) {
        const answer = await this.ask({ op: 'more', cursor, batch });
        done = answer.done === true;
        for (const values of (answer.rows ?? []) as unknown[][]) {
          const row: Record<string, unknown> = {};
          for (let i = 0; i < columns.length; i++) row[columns[i]] = values[i];
          yield row as T;
        }
      }
    } finally {
      if (!done && !this.ended) await this.ask({ op: 'stop', cursor }).catch(() => undefined);
    }
  }

  /** SQLite's online backup of this connection's main database into `targetFile`, `pages` at a step. */
  async backup(targetFile: string, pages: number): Promise<void> {
    await this.ask({ op: 'backup', target: targetFile, pages });
  }

  /** Closes the connection and ends its process. */
  async close(): Promise<void> {
    if (this.ended) return;
    await this.ask({ op: 'close' });
    await this.gone;
  }

  /**
   * Abandons the connection now: whatever is running is let go, waiting calls reject. A statement already in
   * SQLite's hands dies with its process.
   */
  terminate(reason: Error = new Error('the SQLite connection was abandoned')): void {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.ended ??= reason;
    for (const waiting of this.pending.values()) waiting.reject(reason);
    this.pending.clear();
    this.child.kill('SIGKILL');
  }
}

const CHILD_SCRIPT = `
const { DatabaseSync, backup } = require('node:sqlite');
const message = (err) => (err && err.message ? err.message : String(err));
const answer = (a) => process.send(a);
// The parent gone (killed, its channel closed): so is this connection.
process.on('disconnect', () => process.exit(0));
let db;
const statements = new Map();
const prepared = (sql, bigints) => {
  const key = (bigints ? '1' : '0') + sql;
  let statement = statements.get(key);
  if (!statement) {
    statement = db.prepare(sql);
    statement.setReadBigInts(bigints);
    if (statements.size > 64) statements.clear();
    statements.set(key, statement);
  }
  return statement;
};
const cursors = new Map();
let nextCursor = 1;
process.on('message', async (r) => {
  try {
    let ok;
    if (r.op === 'open') {
      db = new DatabaseSync(r.file, { readOnly: r.readOnly });
      for (const sql of r.setup) db.exec(sql);
      db.prepare('SELECT count(*) FROM sqlite_master').get(); // the first read: a file that is no database fails here
    } else if (!db) throw new Error('the database did not open');
    else if (r.op === 'all') ok = prepared(r.sql, r.bigints).all(...r.params);
    else if (r.op === 'get') ok = prepared(r.sql, r.bigints).get(...r.params);
    else if (r.op === 'run') prepared(r.sql, false).run(...r.params);
    else if (r.op === 'exec') db.exec(r.sql);
    else if (r.op === 'rows') {
      const statement = db.prepare(r.sql);
      statement.setReturnArrays(true);
      ok = { cursor: nextCursor++, columns: statement.columns().map((c) => c.name) };
      cursors.set(ok.cursor, statement.iterate());
    } else if (r.op === 'more') {
      const it = cursors.get(r.cursor);
      const rows = [];
      let done = false;
      while (rows.length < r.batch) {
        const step = it.next();
        if (step.done) { done = true; break; }
        rows.push(step.value);
      }
      if (done) cursors.delete(r.cursor);
      answer({ id: r.id, rows, done });
      return;
    } else if (r.op === 'stop') {
      const it = cursors.get(r.cursor);
      cursors.delete(r.cursor);
      if (it && it.return) it.return();
    } else if (r.op === 'backup') await backup(db, r.target, { rate: r.pages });
    else if (r.op === 'close') {
      db.close();
      process.send({ id: r.id, ok: true }, () => process.exit(0));
      return;
    } else throw new Error('unknown operation ' + r.op);
    answer({ id: r.id, ok });
  } catch (err) {
    answer({ id: r.id, error: message(err) });
  }
});
`;
