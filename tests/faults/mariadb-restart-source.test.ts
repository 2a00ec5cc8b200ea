/**
 * Issue #12: a MariaDB server restarted in the middle of a copy (the shared part, and what every case prints:
 * mariadb-restart.ts). Here the source server: restarted (SIGTERM) or SIGKILLed mid-copy. The copy fails cleanly or
 * completes; the same copy again completes.
 */
import type { MariaDb } from '../helpers/mariadb';
import { copyCase, startRestartFixture, stopRestartFixture } from './mariadb-restart';

let source: MariaDb;

beforeAll(async () => {
  const f = await startRestartFixture({ copySource: true, harness: false });
  source = f.source;
}, 600_000);

afterAll(stopRestartFixture, 120_000);

test('the source server restarted (SIGTERM) mid-copy: the copy fails cleanly or completes; the same copy again completes', async () => {
  await copyCase('source SIGTERM mid-copy', 'restart_source_term', () => source.restart({ signal: 'SIGTERM', downMs: 2000 }));
}, 1_800_000);

test('the source server SIGKILLed mid-copy and restarted: the copy fails cleanly or completes; the same copy again completes', async () => {
  await copyCase('source SIGKILL mid-copy', 'restart_source_kill', () => source.restart({ signal: 'SIGKILL', downMs: 2000 }));
}, 1_800_000);
