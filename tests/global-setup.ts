/**
 * Once per test run: for each Jest worker, one set of real servers (the Temporal dev server, two MariaDB servers:
 * source and staging), and the workflow bundle (built once, so each test's worker starts in a moment).
 *
 * A set serves one test file at a time, as a single set did when the files ran one after another, so files in
 * parallel never see each other's handovers, locks or databases. The sets reach the workers through the
 * environment (TEST_SERVER_SETS); tests/setup-runtime.ts gives each worker's files the set of that worker.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startMariaDb, type MariaDb } from './helpers/mariadb';
import { type ServerSet, setsEnv } from './helpers/server-sets';
import { startTemporalServer, type TemporalServer } from './helpers/temporal-server';

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error };

export interface RunningSet {
  temporal: TemporalServer;
  mariadb: MariaDb;
  staging: MariaDb;
}

async function startSet(): Promise<RunningSet> {
  const [temporal, mariadb, staging] = await Promise.all([startTemporalServer({ ui: true }), startMariaDb(), startMariaDb()]);
  return { temporal, mariadb, staging };
}

const settings = (m: MariaDb) => ({ host: m.host, port: m.port, user: m.user, password: m.password });

export default async function globalSetup(globalConfig: { maxWorkers: number }): Promise<void> {
  const count = Math.max(1, globalConfig.maxWorkers);
  const bundling = bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: quiet });
  const started = await Promise.allSettled(Array.from({ length: count }, startSet));
  const running = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  (globalThis as Record<string, unknown>).__handoverTestServers = running;
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    // Jest runs no teardown after a failed setup: stop what did start, then fail the run with the reason.
    await Promise.all(running.flatMap((set) => [set.temporal.stop(), set.mariadb.stop(), set.staging.stop()]));
    throw failed.reason;
  }
  const bundle = await bundling;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'handover-tests-'));
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  const sets: ServerSet[] = running.map(({ temporal, mariadb, staging }) => ({
    TEST_TEMPORAL_ADDRESS: temporal.address,
    TEST_TEMPORAL_CLI: temporal.cli,
    TEST_TEMPORAL_UI: temporal.uiUrl,
    TEST_MARIADB: JSON.stringify(settings(mariadb)),
    TEST_MARIADB_STAGING: JSON.stringify(settings(staging)),
  }));
  Object.assign(process.env, { TEST_WORKFLOW_BUNDLE: bundlePath, ...setsEnv(sets) });
}
