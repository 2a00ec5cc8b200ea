/**
 * The Temporal server stopped and started again (same database file, same port) while 10 handovers run: all
 * complete, none twice. A dedicated dev server (the global setup's is in memory and shared by every file),
 * persisted to a file; the harness's worker, client and API are pointed at it and must reconnect by
 * themselves. Fake job services whose jobs take many polls, so every handover is mid-copy when the server goes.
 * Once with SIGTERM (a clean stop), once with SIGKILL (a crash).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Harness, spec, startHarness } from '../helpers/harness';
import { type StopSignal, type TemporalServer, startTemporalServer } from '../helpers/temporal-server';
import { waitFor } from '../helpers/wait';

const HANDOVERS = 10;
const DOWN_MS = 4000;
const STEPS = ['healthcheck', 'copy', 'metadata', 'event'] as const;

let dir: string;
let server: TemporalServer;
let h: Harness;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'handover-temporal-restart-'));
  server = await startTemporalServer({ dbFile: path.join(dir, 'temporal.db') });
  // A request timeout of 5 s: an activity whose completion was lost while the server was down is retried after that.
  h = await startHarness({ TEMPORAL_ADDRESS: server.address, HANDOVER_REQUEST_TIMEOUT: '5s' });
}, 300_000);

afterAll(async () => {
  await h?.stop();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The job key of each step of a handover: `<token>:<step>`, the event's `<token>:event:0`. */
const keyOf = (token: string, step: (typeof STEPS)[number]) => (step === 'event' ? `${token}:event:0` : `${token}:${step}`);

async function runsOf(token: string): Promise<number> {
  let runs = 0;
  for await (const _ of h.client.workflow.list({ query: `WorkflowId = '${token}'` })) runs++;
  return runs;
}

async function restartDuringHandovers(signal: StopSignal) {
  h.jobs.reset();
  h.jobs.scripts.healthcheck.runningPolls = 2;
  // Many polls (paced at 100-300 ms, but about one a second was seen with 10 handovers on this file-backed server):
  // every handover is mid-copy when the server goes, and still is when it comes back.
  h.jobs.scripts.copy.runningPolls = 20;
  h.jobs.scripts.metadata.runningPolls = 3;
  const names = Array.from({ length: HANDOVERS }, (_, i) => `${signal.toLowerCase()}_${i}_core_110_1`);
  const answers = await Promise.all(names.map((name) => h.submit(spec(h.sqliteSource(name)))));
  expect(answers.map((a) => a.statusCode)).toEqual(names.map(() => 201));
  const tokens = answers.map((a) => a.json.token);
  const copyJob = (t: string) => h.jobs.jobs.find((j) => j.key === keyOf(t, 'copy'));

  // Every handover has its copy job, still running: mid-step.
  await waitFor(() => tokens.every((t) => (copyJob(t)?.pollsLeft ?? 0) > 0), 120_000, 'every handover to be polling its copy job');
  const pollsLeftAtStop = tokens.map((t) => copyJob(t)!.pollsLeft);
  const restart = await server.restart({ signal, downMs: DOWN_MS });
  const pollsLeftAtStart = tokens.map((t) => copyJob(t)!.pollsLeft);
  const pollsWhileDown = pollsLeftAtStop.reduce((sum, left, i) => sum + left - pollsLeftAtStart[i], 0);
  const backAt = Date.now();
  console.log(
    `injected: Temporal server stopped with ${signal} while ${HANDOVERS} handovers were polling their copy jobs ` +
      `(${Math.min(...pollsLeftAtStop)}-${Math.max(...pollsLeftAtStop)} polls left each); ` +
      `it took ${restart.stoppedInMs} ms to exit, stayed down ${restart.downMs} ms, and answered ${restart.answeredInMs} ms after its ` +
      `start (same port ${server.port}, same file); ` +
      `copy polls answered from the signal to the restart: ${pollsWhileDown} (while it shut down, and attempts already running)`,
  );

  // The harness's API (its Temporal client) and worker reconnect by themselves: nothing is restarted here.
  await waitFor(() => tokens.some((t, i) => copyJob(t)!.pollsLeft < pollsLeftAtStart[i]), 120_000, 'a copy poll after the restart');
  const firstPollAfterMs = Date.now() - backAt;
  const ended = await Promise.all(tokens.map((t) => h.waitForStatus(t, 'completed', 300_000).then((p) => p.status)));
  const allEndedAfterMs = Date.now() - backAt;
  const completed = ended.filter((s) => s === 'completed').length;

  const runs = await Promise.all(tokens.map(runsOf));
  const jobCounts = tokens.map((t) => STEPS.map((step) => h.jobs.jobs.filter((j) => j.key === keyOf(t, step)).length));
  const duplicateJobs = jobCounts.flat().reduce((sum, n) => sum + Math.max(0, n - 1), 0);
  const missingJobs = jobCounts.flat().filter((n) => n === 0).length;
  const mails = (name: string) => h.smtp.messages.filter((m) => m.subject?.startsWith(`Handover of ${name} `));
  await waitFor(() => names.every((n) => mails(n).length >= 1), 60_000, 'an email per handover');
  await new Promise((r) => setTimeout(r, 1000)); // room for a second email, were one coming
  const completionMails = names.map((n) => mails(n).filter((m) => m.subject === `Handover of ${n} completed`).length);
  const otherMails = names.flatMap((n) =>
    mails(n)
      .filter((m) => m.subject !== `Handover of ${n} completed`)
      .map((m) => m.subject),
  );
  const lost = HANDOVERS - completed + missingJobs;
  console.log(
    `found: first copy poll ${firstPollAfterMs} ms after the server was back, all ended ${allEndedAfterMs} ms after; ` +
      `${completed}/${HANDOVERS} completed; workflow runs per handover: ${[...new Set(runs)].join(', ')}; ` +
      `jobs per step per handover (healthcheck, copy, metadata, event): ${[...new Set(jobCounts.map((c) => c.join('/')))].join(', ')}; ` +
      'copy submissions seen: ' +
      h.jobs.submissions.filter((s) => s.service === 'copy' && tokens.some((t) => s.key === keyOf(t, 'copy'))).length +
      '; ' +
      `completion emails per handover: ${[...new Set(completionMails)].join(', ')}; ` +
      `other emails: ${otherMails.length ? otherMails.join(' | ') : 'none'}`,
  );
  console.log(
    `fault: temporal ${signal} restart; handovers: ${HANDOVERS}; completed: ${completed}; duplicate jobs: ${duplicateJobs}; lost: ${lost}`,
  );

  expect(pollsLeftAtStart.every((left) => left > 0)).toBe(true); // still mid-copy when the server came back
  expect(completed).toBe(HANDOVERS);
  expect(runs).toEqual(tokens.map(() => 1));
  expect(jobCounts).toEqual(tokens.map(() => STEPS.map(() => 1)));
  expect(completionMails).toEqual(names.map(() => 1));
  expect(otherMails).toEqual([]);
  expect(duplicateJobs).toBe(0);
  expect(lost).toBe(0);
}

test(
  'stopped with SIGTERM and started again while 10 handovers run: all complete, none twice',
  () => restartDuringHandovers('SIGTERM'),
  600_000,
);

test(
  'killed with SIGKILL and started again while 10 handovers run: all complete, none twice',
  () => restartDuringHandovers('SIGKILL'),
  600_000,
);
