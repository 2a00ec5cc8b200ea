/**
 * Issue #12: a MariaDB server restarted in the middle of a copy (the shared part, and what every case prints:
 * mariadb-restart.ts). Here a whole handover, the staging server SIGKILLed during its copy: it fails cleanly with
 * an email (or completes); restarted, it completes.
 */
import { createDemoDatabase } from '../../services/demo';
import { type Harness, mariadbUri, spec } from '../helpers/harness';
import type { MariaDb } from '../helpers/mariadb';
import { FinalAnswer, waitFor } from '../helpers/wait';
import {
  HANG_MS,
  type Tally,
  dbState,
  judge,
  loadedRows,
  namesCause,
  printTally,
  startRestartFixture,
  stopRestartFixture,
  workSchemas,
} from './mariadb-restart';

let source: MariaDb;
let staging: MariaDb;
let h: Harness;

beforeAll(async () => {
  const f = await startRestartFixture({ copySource: false, harness: true });
  [source, staging] = [f.source, f.staging];
  h = f.h!;
}, 600_000);

afterAll(stopRestartFixture, 120_000);

test(
  'a whole handover, the staging server SIGKILLed during its copy: it fails cleanly with an email (or completes); restarted, ' +
    'it completes',
  async () => {
    const name = 'capra_hircus_core_110_1';
    const tally: Tally = { fault: 'staging SIGKILL mid-handover', runs: 0, completed: 0, failedCleanly: 0, halfWritten: 0 };
    const counts = await createDemoDatabase(source.uri(name), { genes: 150_000 });
    console.log(`${tally.fault}: source ${name}: ${JSON.stringify(counts)}`);
    const target = mariadbUri(staging, name);
    const { statusCode, json } = await h.submit(spec(source.uri(name), { tgt_uri: target }));
    expect(statusCode).toBe(201);
    const loaded = await waitFor(
      async () => {
        const p = await h.progress(json.token);
        if (p.status !== 'running')
          throw new FinalAnswer(`handover ended ${p.status} before its copy was loading rows: ${JSON.stringify(p.failure)}`);
        if (p.step !== 'copy') return undefined;
        const n = await loadedRows();
        return n >= 50_000 ? n : undefined;
      },
      HANG_MS,
      'the handover to be copying rows',
    );
    console.log(
      `${tally.fault}: handover ${json.token} copying, ${loaded} rows in the temporary schema; injecting: staging SIGKILL, 2 s down`,
    );
    await staging.restart({ signal: 'SIGKILL', downMs: 2000 });
    const ended = await waitFor(
      async () => {
        const p = await h.progress(json.token);
        return p.status === 'running' ? undefined : p;
      },
      HANG_MS,
      `handover ${json.token} to end: it hangs`,
    );
    console.log(`${tally.fault}: handover ${json.token} ended ${ended.status}${ended.failure ? `: ${JSON.stringify(ended.failure)}` : ''}`);
    let reason: string | undefined;
    if (ended.status === 'failed') {
      const mail = await h.smtp.waitForSubject(name, 60_000);
      const rows = /\(\d+,[^()\n]*'ENS[A-Z]\d+'\)/; // a row of gene, transcript or exon, as the dump writes it
      reason =
        `${ended.failure?.reason}\n  email: "${mail.subject}"; it names the cause: ${namesCause(mail.text) ? 'yes' : 'NO'}; ` +
        `it quotes rows of the source: ${rows.test(mail.text ?? '') ? 'YES' : 'no'}`;
      expect(mail.subject).toMatch(/failed/);
      expect(ended.failure).toMatchObject({ step: 'copy' });
    } else {
      expect(ended.status).toBe('completed');
    }
    await judge(tally, `handover ${json.token}`, { complete: ended.status === 'completed', reason }, name, null, name);
    console.log(`${tally.fault}: work schemas on staging after the fault: ${(await workSchemas()).join(', ') || 'none'}`);

    if (ended.status === 'failed') {
      const res = await h.app.inject({ method: 'POST', url: `/handovers/${json.token}/restart`, payload: {} });
      expect(res.statusCode).toBe(201);
      const restarted = res.json<{ token: string }>().token;
      const before = await dbState(staging, name);
      const done = await h.waitForStatus(restarted, 'completed', HANG_MS);
      await judge(tally, `the handover restarted (${restarted}, ${done.status})`, { complete: true }, name, before, name);
      console.log(`${tally.fault}: work schemas on staging after the restarted handover: ${(await workSchemas()).join(', ') || 'none'}`);
      expect(await workSchemas()).toEqual([]);
    }
    printTally(tally);
    expect(tally.halfWritten).toBe(0);
  },
  1_800_000,
);
