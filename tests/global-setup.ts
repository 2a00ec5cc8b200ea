/**
 * Once per test run: the real Temporal dev server, two real MariaDB servers (source and staging), and the workflow bundle (built once,
 * so each test's worker starts in a moment). Their addresses reach the tests through the environment.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startMariaDb } from './helpers/mariadb';
import { startTemporalServer } from './helpers/temporal-server';

export default async function globalSetup(): Promise<void> {
  const [temporal, mariadb, staging, bundle] = await Promise.all([
    startTemporalServer({ ui: true }),
    startMariaDb(),
    startMariaDb(),
    bundleWorkflowCode({
      workflowsPath: require.resolve('../workflows'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
    }),
  ]);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'handover-tests-'));
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  Object.assign(process.env, {
    TEST_TEMPORAL_ADDRESS: temporal.address,
    TEST_TEMPORAL_CLI: temporal.cli,
    TEST_TEMPORAL_UI: temporal.uiUrl,
    TEST_WORKFLOW_BUNDLE: bundlePath,
    TEST_MARIADB: JSON.stringify({ host: mariadb.host, port: mariadb.port, user: mariadb.user, password: mariadb.password }),
    TEST_MARIADB_STAGING: JSON.stringify({ host: staging.host, port: staging.port, user: staging.user, password: staging.password }),
  });
  (globalThis as Record<string, unknown>).__handoverTestServers = { temporal, mariadb, staging };
}
