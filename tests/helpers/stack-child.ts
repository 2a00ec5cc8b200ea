/**
 * The local stack (`services/main.ts`) in a child process, as `npm start` runs it (node with tsx), on fixed
 * ports, so a test can kill it (the whole process group: tsx runs the services in a process of its own) and
 * start it again on the same data folder and the same URLs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { freePort } from './ports';
import { FinalAnswer, waitFor } from './wait';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/tsx/dist/cli.mjs');
export const STACK_SERVICES = ['healthcheck', 'copy', 'metadata', 'event'] as const;
export type StackService = (typeof STACK_SERVICES)[number];
export type StackUrls = Record<StackService, string>;

export interface StackExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StackChild {
  child: ChildProcess;
  urls: StackUrls;
  exited: Promise<StackExit>;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  alive(): boolean;
  /** Signals the whole process group and waits for the process to exit. */
  kill(signal: NodeJS.Signals): Promise<StackExit>;
}

const started: ChildProcess[] = [];

/** Four free ports, one per service: pass the same ones to each start, so the URLs stay the same. */
export async function stackPorts(): Promise<Record<StackService, number>> {
  const ports = new Set<number>();
  while (ports.size < STACK_SERVICES.length) ports.add(await freePort());
  const [healthcheck, copy, metadata, event] = [...ports];
  return { healthcheck, copy, metadata, event };
}

/** Signals the child's whole process group (the tsx CLI and the services' process). */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

/** SIGKILLs every stack this module started that still runs (for afterAll). */
export function killStackChildren(): void {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) signalGroup(child, 'SIGKILL');
}

/** Starts the local stack on `ports` with `dataDir` (LOCAL_STACK_DIR); resolves once all four services listen. */
export async function startStackChild(opts: { dataDir: string; ports: Record<StackService, number>; env?: Record<string, string> }): Promise<StackChild> {
  // Only the variables the test chooses: none of the runner's own LOCAL_STACK_* settings leak in.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LOCAL_STACK_')));
  const child = spawn(process.execPath, [TSX, 'services/main.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so that signalGroup() reaches the services' process too
    env: {
      ...base,
      LOCAL_STACK_DIR: opts.dataDir,
      LOCAL_STACK_PORTS: STACK_SERVICES.map((s) => `${s}=${opts.ports[s]}`).join(','),
      ...opts.env,
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
    60_000,
    () => `the local stack to listen; output so far:\n${output}`,
  ).catch((err: Error) => {
    signalGroup(child, 'SIGKILL');
    throw err;
  });
  return {
    child,
    urls,
    exited,
    output: () => output,
    alive: () => child.exitCode === null && child.signalCode === null,
    async kill(signal) {
      signalGroup(child, signal);
      return exited;
    },
  };
}
