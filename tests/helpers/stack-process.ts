/**
 * The local stack as a real child process, as `npm start` runs it (`node --import tsx services/main.ts`, so the
 * child's pid is the services' own process), for tests and benchmarks that kill it, restart it on the same ports
 * and data folder, or measure it (its memory, how soon it answers). Also makes big SQLite databases.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { SERVICES_NODE_FLAGS } from '../../services/stack';
import { speciesOf } from './databases';
import { freePort } from './ports';
import { testStackSourceRoots } from './sources';
import { FinalAnswer, waitFor } from './wait';

const ROOT = path.resolve(__dirname, '../..');
export const STACK_SERVICES = ['healthcheck', 'copy', 'metadata', 'event'] as const;
export type StackService = (typeof STACK_SERVICES)[number];
export type StackUrls = Record<StackService, string>;

export interface StackExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StackProcess {
  child: ChildProcess;
  /** The services' process (the child itself: node runs services/main.ts with tsx's loader). */
  pid: number;
  urls: StackUrls;
  exited: Promise<StackExit>;
  output: () => string;
  alive: () => boolean;
  /** SIGTERM, then SIGKILL after `graceMs` if it is still running; resolves when it has exited. */
  stop: (graceMs?: number) => Promise<StackExit>;
  /** Signals the process group and waits for the process to exit. */
  kill: (signal: NodeJS.Signals) => Promise<StackExit>;
}

/** Four free ports, one per service: pass the same ones to each start, so the URLs stay the same. */
export async function stackPorts(): Promise<Record<StackService, number>> {
  const ports = new Set<number>();
  while (ports.size < STACK_SERVICES.length) ports.add(await freePort());
  const [healthcheck, copy, metadata, event] = [...ports];
  return { healthcheck, copy, metadata, event };
}

const started: ChildProcess[] = [];

/** Signals the child's process group (esbuild's service process is in it too). */
export function signalStack(child: ChildProcess, sig: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, sig);
  } catch {
    // already gone
  }
}

/** SIGKILLs every stack this module started that still runs (afterAll). */
export function killStartedStacks(): void {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) signalStack(child, 'SIGKILL');
}

/** Starts the local stack in a child process (on `ports`, or free ones); resolves once all four services listen. */
export async function startStackProcess(
  dataDir: string,
  env: Record<string, string> = {},
  opts: { ports?: Record<StackService, number>; timeoutMs?: number } = {},
): Promise<StackProcess> {
  // Only the variables the caller chooses: none of the runner's own LOCAL_STACK_* settings leak in.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LOCAL_STACK_')));
  const child = spawn(process.execPath, [...SERVICES_NODE_FLAGS, '--import', 'tsx', 'services/main.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group
    env: {
      ...base,
      LOCAL_STACK_DIR: dataDir,
      LOCAL_STACK_PORTS: STACK_SERVICES.map((s) => `${s}=${opts.ports?.[s] ?? 0}`).join(','),
      LOCAL_STACK_SOURCE_ROOTS: testStackSourceRoots().join(','),
      ...env,
    },
  });
  started.push(child);
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<StackExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let exit: StackExit | undefined;
  void exited.then((e) => (exit = e));
  const urls = await waitFor(
    () => {
      if (exit) throw new FinalAnswer(`the stack exited (${exit.signal ?? exit.code}) before it listened:\n${output}`);
      const found = Object.fromEntries([...output.matchAll(/^(\w+) service on (http:\/\/\S+)$/gm)].map((m) => [m[1], m[2]]));
      return STACK_SERVICES.every((s) => found[s]) ? (found as StackUrls) : undefined;
    },
    opts.timeoutMs ?? 60_000,
    () => `the local stack to listen; output so far:\n${output}`,
  ).catch((err: Error) => {
    signalStack(child, 'SIGKILL');
    throw err;
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    pid: child.pid!,
    urls,
    exited,
    output: () => output,
    alive,
    async stop(graceMs = 10_000) {
      if (alive()) signalStack(child, 'SIGTERM');
      const timer = setTimeout(() => signalStack(child, 'SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
    async kill(signal) {
      signalStack(child, signal);
      return exited;
    },
  };
}

/** A process's memory from /proc/<pid>/status: peak resident set (VmHWM) and current (VmRSS), in bytes. */
export function processMemory(pid: number): { peak: number; current: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
    return Number(m[1]) * 1024;
  };
  return { peak: kb('VmHWM'), current: kb('VmRSS') };
}

export const MB = 1024 * 1024;

/**
 * A SQLite database of one big table `feature` (about `bytes` on disk: integer, text and real columns, and a
 * 1000-character hex payload per row) plus an Ensembl-style `meta`. Made with one recursive-CTE INSERT, so a
 * few hundred MB take seconds. Returns the rows of `feature` and the file's size.
 */
export function bigSqliteTable(file: string, bytes: number): { rows: number; fileBytes: number } {
  for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  const rows = Math.max(1, Math.round(bytes / 1370)); // a row takes about 1370 bytes of its pages (measured)
  const db = new DatabaseSync(file);
  try {
    db.exec('PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF');
    db.exec('CREATE TABLE meta (meta_id INTEGER PRIMARY KEY, species_id INT, meta_key TEXT, meta_value TEXT)');
    db.prepare("INSERT INTO meta VALUES (1, NULL, 'schema_version', '110'), (2, 1, 'species.production_name', ?)").run(speciesOf(file));
    db.exec('CREATE TABLE feature (feature_id INTEGER PRIMARY KEY, seq_region_id INT NOT NULL, name TEXT, payload TEXT, score REAL)');
    // Some NULLs and characters the TSV escapes, so the dump's format is exercised on every ~1000th row.
    db.exec(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows})
      INSERT INTO feature SELECT i, i % 5000, CASE WHEN i % 997 = 0 THEN NULL WHEN i % 991 = 0 THEN 'tab' || char(9) || 'nl' || char(10) ` +
        `|| 'bs\\' ELSE 'f' || i END,
        hex(randomblob(500)), CASE WHEN i % 1009 = 0 THEN NULL ELSE i * 0.5 END FROM n`,
    );
  } finally {
    db.close();
  }
  return { rows, fileBytes: statSync(file).size };
}
