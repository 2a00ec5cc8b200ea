/**
 * Records the histories tests/unit/replay.test.ts replays: a completed, a failed, a cancelled handover and one whose
 * email was handed off, on the real server. Run only by `npm run record-histories` (jest.config.js leaves it out
 * otherwise: it overwrites the fixtures). Keep the older recordings, renamed, as that test's header says.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { type Harness, spec, startHarness } from '../helpers/harness';
import { waitFor } from '../helpers/wait';

const FIXTURES = path.resolve(__dirname, '../fixtures');

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.stop());

test('record histories of a completed, a failed and a cancelled handover', async () => {
  const record = async (name: string, token: string) => {
    await waitFor(async () => (await h.client.workflow.getHandle(token).describe()).status.name !== 'RUNNING', 30_000, `${name} to close`);
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
