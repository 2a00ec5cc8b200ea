import type { ChildProcess } from 'node:child_process';
import type { MariaDb } from './helpers/mariadb';
import type { TemporalServer } from './helpers/temporal-server';

export default async function globalTeardown(): Promise<void> {
  const servers = (globalThis as Record<string, unknown>).__handoverTestServers as
    { temporal: TemporalServer; mariadb: MariaDb; staging: MariaDb } | undefined;
  await Promise.all([servers?.temporal.stop(), servers?.mariadb.stop(), servers?.staging.stop()]);
  reportLeakedChildren();
}

/**
 * A child process a test left running would keep Jest alive after the run (jest.config's forceExit
 * ends it anyway, so CI never hangs): name it, so the leak is seen and fixed rather than hidden.
 */
function reportLeakedChildren(): void {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  const children = handles.filter(
    (h): h is ChildProcess => !!h && typeof h === 'object' && 'spawnfile' in h && (h as ChildProcess).exitCode === null,
  );
  for (const child of children) {
    console.error(`A test left a child process running: ${child.spawnfile} (pid ${child.pid}); stopping it.`);
    child.kill('SIGKILL');
  }
}
