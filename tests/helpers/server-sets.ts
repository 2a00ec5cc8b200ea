/**
 * The servers of one Jest worker, as environment variables (tests/global-setup.ts starts one set per worker).
 * The tests read TEST_TEMPORAL_ADDRESS and the rest; `useWorkerSet` sets them to this worker's set.
 */
export interface ServerSet {
  TEST_TEMPORAL_ADDRESS: string;
  TEST_TEMPORAL_CLI: string;
  TEST_TEMPORAL_UI: string;
  TEST_MARIADB: string;
  TEST_MARIADB_STAGING: string;
}

export const setsEnv = (sets: ServerSet[]) => ({ TEST_SERVER_SETS: JSON.stringify(sets) });

/** Points this process's tests at the set of its Jest worker (JEST_WORKER_ID counts from 1; one set when in band). */
export function useWorkerSet(env: NodeJS.ProcessEnv = process.env): void {
  if (!env.TEST_SERVER_SETS) throw new Error('the jest global setup did not start the test servers (TEST_SERVER_SETS is not set)');
  const sets = JSON.parse(env.TEST_SERVER_SETS) as ServerSet[];
  const worker = Number(env.JEST_WORKER_ID ?? '1');
  const set = sets[(worker - 1) % sets.length];
  Object.assign(env, set);
}
