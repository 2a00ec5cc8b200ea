/**
 * Where the tests' sources are: the temporary folder (every test makes its SQLite sources under it) and
 * the two MariaDB servers of the global setup. Handover allows no source elsewhere (common/sources.ts),
 * nor does the local stack (services/copy/targets.ts checkSource): every environment a test or a
 * benchmark builds for the API, the worker or the stack sets these.
 */
import { realpathSync } from 'node:fs';
import os from 'node:os';

/** HANDOVER_SOURCE_ROOTS and HANDOVER_SOURCE_SERVERS for the API and the worker. */
export function testSourcesEnv(): { HANDOVER_SOURCE_ROOTS: string; HANDOVER_SOURCE_SERVERS: string } {
  const servers = [process.env.TEST_MARIADB, process.env.TEST_MARIADB_STAGING]
    .filter(Boolean)
    .map((s) => JSON.parse(s!) as { host: string; port: number });
  return { HANDOVER_SOURCE_ROOTS: realpathSync(os.tmpdir()), HANDOVER_SOURCE_SERVERS: servers.map((m) => `${m.host}:${m.port}`).join(',') };
}

/** The same places as the local stack's source roots (`sourceRoots`, LOCAL_STACK_SOURCE_ROOTS). */
export function testStackSourceRoots(): string[] {
  const env = testSourcesEnv();
  return [
    `sqlite:///${env.HANDOVER_SOURCE_ROOTS}/`,
    ...env.HANDOVER_SOURCE_SERVERS.split(',')
      .filter(Boolean)
      .map((s) => `mysql://${s}/`),
  ];
}
