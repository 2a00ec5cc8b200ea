/**
 * Issue #12: a MariaDB server restarted in the middle of a copy (the shared part, and what every case prints:
 * mariadb-restart.ts). Here the staging server: SIGKILLed or restarted (SIGTERM) mid-copy, into a new target and over a
 * previous copy. The copy fails cleanly or completes; the same copy again completes.
 */
import type { MariaDb } from '../helpers/mariadb';
import { SOURCE_DB, TABLES, copyCase, copyEnds, startRestartFixture, stopRestartFixture, submitCopy, tableName } from './mariadb-restart';

let source: MariaDb;
let staging: MariaDb;

beforeAll(async () => {
  const f = await startRestartFixture({ copySource: true, harness: false });
  [source, staging] = [f.source, f.staging];
}, 600_000);

afterAll(stopRestartFixture, 120_000);

test(
  'the staging server SIGKILLed mid-copy and restarted: the copy fails cleanly or completes; ' + 'the same copy again completes',
  async () => {
    await copyCase('staging SIGKILL mid-copy', 'restart_staging_kill', () => staging.restart({ signal: 'SIGKILL', downMs: 2000 }));
  },
  1_800_000,
);

test(
  'the staging server restarted (SIGTERM) mid-copy, back at once: the copy fails cleanly or completes; ' + 'the same copy again completes',
  async () => {
    await copyCase('staging SIGTERM mid-copy', 'restart_staging_term', () => staging.restart({ signal: 'SIGTERM' }));
  },
  1_800_000,
);

test('a copy replacing a previous copy, staging SIGKILLed mid-copy: the previous copy stays exactly as it was', async () => {
  const target = 'restart_replace';
  await copyCase('staging SIGKILL mid-replacement', target, () => staging.restart({ signal: 'SIGKILL', downMs: 2000 }), {
    async previous() {
      const first = await copyEnds(await submitCopy(target));
      expect(first).toMatchObject({ status: 'complete' });
      // The source then changes, so the previous copy, the new one and a mixture of the two all differ.
      await source.query(`UPDATE ${SOURCE_DB}.${tableName(0)} SET b = 'changed since the previous copy' WHERE id <= 1000`);
      await source.query(`DELETE FROM ${SOURCE_DB}.${tableName(TABLES - 1)} WHERE id % 10 = 0`);
    },
  });
}, 1_800_000);
