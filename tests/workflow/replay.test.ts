/**
 * Replays recorded histories against today's workflow code: a change that is not deterministic (a step
 * reordered, an activity added without patching) fails here, before it breaks running handovers.
 * Re-record after a deliberate, patched change with `npm run record-histories`; keep the older recordings
 * (renamed, e.g. before-reports.*, database-type.* from when `type` was the database type, single-reports.*
 * from before queued reports went in one local activity, patches.* from before flow 2 left the patch markers out)
 * so handovers started by older workers still replay. upgrade.* are the patches.* histories with a flow-2 input: what a
 * worker from before flows records for a handover today's API started (a rolling upgrade; it ignores the flow).
 * flow2.* are flow-2 handovers (before the final email was detached from the lock and made non-cancellable);
 * handover-email-handed-off is a failed handover whose email could not be sent at once (SMTP down).
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { type Harness, spec, startHarness } from '../helpers/harness';
import { waitFor } from '../helpers/wait';

const FIXTURES = path.resolve(__dirname, '../fixtures');
const recording = process.env.RECORD_HISTORIES === '1';

if (recording) {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.stop());

  test('record histories of a completed, a failed and a cancelled handover', async () => {
    const record = async (name: string, token: string) => {
      await waitFor(
        async () => (await h.client.workflow.getHandle(token).describe()).status.name !== 'RUNNING',
        30_000,
        `${name} to close`,
      );
      writeFileSync(path.join(FIXTURES, `${name}.history.json`), historyToJSON(await h.client.workflow.getHandle(token).fetchHistory()));
    };
    const ok = await h.submit(spec(h.sqliteSource('replay_ok_core_110_1')));
    await record('handover-completed', ok.json.token);

    h.jobs.scripts.healthcheck.outcome = 'problems';
    const bad = await h.submit(spec(h.sqliteSource('replay_problems_core_110_1')));
    await record('handover-problems', bad.json.token);

    h.jobs.reset();
    h.jobs.scripts.copy.runningPolls = 100_000;
    const cancelled = await h.submit(spec(h.sqliteSource('replay_cancel_core_110_1')));
    await waitFor(async () => (await h.progress(cancelled.json.token)).step === 'copy', 30_000, 'the copy step');
    await h.app.inject({
      method: 'POST',
      url: `/handovers/${cancelled.json.token}/cancel`,
      payload: { by: 'recorder', reason: 'fixture' },
    });
    await record('handover-cancelled', cancelled.json.token);

    // SMTP down: the failure email is handed to a workflow of its own, and the handover closes.
    h.jobs.reset();
    h.jobs.scripts.copy.outcome = 'failed';
    await h.smtp.stop();
    const handedOff = await h.submit(spec(h.sqliteSource('replay_handed_off_core_110_1')));
    await record('handover-email-handed-off', handedOff.json.token);
    await h.smtp.start();
    await h.smtp.waitForSubject('replay_handed_off_core_110_1', 60_000);
  });
} else {
  const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.history.json'));

  test('there are recorded histories to replay', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(22);
  });

  test.each(fixtures)('%s replays on the current workflow code', async (file) => {
    const history = JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8'));
    await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! } }, history);
  });
}
