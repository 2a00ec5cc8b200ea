/**
 * Ensembl's Python clients for compatibility tests: a virtual environment with ensembl-prodinf-core
 * from PyPI, made once and cached (like the Temporal CLI), and a way to run our driver script in it.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const ENSEMBL_CLIENTS = 'ensembl-prodinf-core==3.0.0';
const DRIVER = path.resolve(__dirname, '../ensembl/ensembl_clients.py');

/** The venv's python, with Ensembl's clients importable; made on first use (pip from PyPI). */
export function ensemblPython(): string {
  const cache = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'handover');
  const venv = path.join(cache, `venv-${ENSEMBL_CLIENTS.replace('==', '-')}`);
  const python = path.join(venv, 'bin', 'python');
  const ready = () => succeeds(python, ['-c', 'import ensembl.production.core.clients.handover, ensembl.production.core.rest']);
  if (ready()) return python;
  rmSync(venv, { recursive: true, force: true });
  mkdirSync(cache, { recursive: true });
  const system = ['python3', 'python'].find((p) => succeeds(p, ['--version']));
  if (!system) throw new Error('Python 3 is needed for the Ensembl compatibility tests (apt-get install python3 python3-venv)');
  execFileSync(system, ['-m', 'venv', venv], { stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ENSEMBL_CLIENTS], {
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 600_000,
  });
  if (!ready()) throw new Error(`${ENSEMBL_CLIENTS} installed in ${venv}, but its clients do not import`);
  return python;
}

function succeeds(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `T`: the shape of the command's JSON result, as the caller expects it. */
export interface DriverResult<T = unknown> {
  code: number;
  /** The command's JSON result (undefined when it failed). */
  result: T | undefined;
  /** The clients' logging, and a traceback when the command failed. */
  log: string;
}

/** Runs one command of tests/ensembl/ensembl_clients.py with Ensembl's clients. */
export async function ensemblClient<T = unknown>(python: string, command: string, args: Record<string, unknown>): Promise<DriverResult<T>> {
  try {
    const { stdout, stderr } = await promisify(execFile)(python, [DRIVER, command, JSON.stringify(args)], { timeout: 60_000 });
    return { code: 0, result: JSON.parse(stdout.trim().split('\n').pop()!) as T, log: stderr };
  } catch (err) {
    const e = err as { code?: number; stderr?: string; message: string };
    return { code: typeof e.code === 'number' ? e.code : 1, result: undefined, log: e.stderr ?? e.message };
  }
}
