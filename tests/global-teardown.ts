import type { ChildProcess } from 'node:child_process';
import type { RunningSet } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const sets = ((globalThis as Record<string, unknown>).__handoverTestServers ?? []) as RunningSet[];
  await Promise.all(sets.flatMap((set) => [set.temporal.stop(), set.mariadb.stop(), set.staging.stop()]));
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
