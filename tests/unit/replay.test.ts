/**
 * Replays recorded histories against today's workflow code: a change that is not deterministic (a step
 * reordered, an activity added without patching) fails here, before it breaks running handovers. No server:
 * the workflow code is bundled here (with cheap source maps: full ones would triple the time) and replayed in memory.
 *
 * Re-record after a deliberate, patched change with `npm run record-histories` (tests/workflow/record-histories.test.ts);
 * keep the older recordings (renamed, e.g. before-reports.*, database-type.* from when `type` was the database type,
 * single-reports.* from before queued reports went in one local activity, patches.* from before flow 2 left the patch
 * markers out) so handovers started by older workers still replay. upgrade.* are the patches.* histories with a flow-2
 * input: what a worker from before flows records for a handover today's API started (a rolling upgrade; it ignores the
 * flow). flow2.* are flow-2 handovers (before the final email was detached from the lock and made non-cancellable);
 * handover-email-handed-off is a failed handover whose email could not be sent at once (SMTP down).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { type ReplayResult, Worker, bundleWorkflowCode } from '@temporalio/worker';

const FIXTURES = path.resolve(__dirname, '../fixtures');
const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.history.json'));
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error };

const results = new Map<string, ReplayResult>();
beforeAll(async () => {
  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: quiet,
    webpackConfigHook: (config) => ({ ...config, devtool: 'inline-cheap-source-map' }),
  });
  const histories = fixtures.map((file) => ({ workflowId: file, history: JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) }));
  for await (const result of Worker.runReplayHistories({ workflowBundle: { code: bundle.code } }, histories)) {
    results.set(result.workflowId, result);
  }
}, 60_000);

test('there are recorded histories to replay', () => {
  expect(fixtures.length).toBeGreaterThanOrEqual(22);
});

test.each(fixtures)('%s replays on the current workflow code', (file) => {
  const result = results.get(file);
  expect(result).toBeDefined();
  expect(result!.error).toBeUndefined();
});
