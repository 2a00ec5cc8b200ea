/**
 * A job service that misbehaves for a while, behind a fault proxy (tests/helpers/fault-proxy.ts) in front of the
 * fake copy service: it refuses connections (nothing listening), then answers 500, then answers slowly (some
 * answers later than HANDOVER_REQUEST_TIMEOUT), for several poll intervals each. The handovers wait through it
 * all and complete; each copy job is made once; no failure email.
 */
import { FaultProxy, type FaultMode } from '../helpers/fault-proxy';
import { type Harness, spec, startHarness } from '../helpers/harness';
import { waitFor } from '../helpers/wait';

const POLL_INTERVAL_MS = 200;
const POLL_MAX_INTERVAL_MS = 500;
const REQUEST_TIMEOUT_MS = 1000;
/** Each fault lasts this long: eight of the longest poll intervals. */
const FAULT_MS = 8 * POLL_MAX_INTERVAL_MS;
const FAULTS: FaultMode[] = ['refuse', 'error500', 'slow'];
const STEPS = ['healthcheck', 'copy', 'metadata', 'event'] as const;

const proxy = new FaultProxy();
let restoreFetch: () => void;
let h: Harness;

beforeAll(async () => {
  await proxy.start();
  // Before the worker starts: its copy client takes the global fetch when it is made.
  restoreFetch = proxy.watchRefusals();
  h = await startHarness({
    HANDOVER_COPY_URL: proxy.url('/copy'),
    HANDOVER_POLL_INTERVAL: `${POLL_INTERVAL_MS}ms`,
    HANDOVER_POLL_MAX_INTERVAL: `${POLL_MAX_INTERVAL_MS}ms`,
    HANDOVER_REQUEST_TIMEOUT: `${REQUEST_TIMEOUT_MS}ms`,
  });
  proxy.setTarget(h.jobs.url('copy'));
  // Slow answers: in turn within the request timeout and well past it (the client gives up; the answer is lost).
  proxy.slowDelaysMs = [REQUEST_TIMEOUT_MS / 2, REQUEST_TIMEOUT_MS + 500];
});

afterAll(async () => {
  await h?.stop();
  restoreFetch?.();
  await proxy.stop();
});

const keyOf = (token: string, step: (typeof STEPS)[number]) => (step === 'event' ? `${token}:event:0` : `${token}:${step}`);

test(
  'a copy service refusing connections, then answering 500s, then answering slowly: the handovers wait and complete, ' + 'no failure email',
  async () => {
    h.jobs.scripts.healthcheck.runningPolls = 1;
    h.jobs.scripts.copy.runningPolls = 10; // polls that reach the service: the jobs outlast the faults
    h.jobs.scripts.metadata.runningPolls = 1;
    const names = ['proxied_1_core_110_1', 'proxied_2_core_110_1', 'proxied_3_core_110_1', 'proxied_4_core_110_1'];
    const submit = async (name: string) => {
      const { statusCode, json } = await h.submit(spec(h.sqliteSource(name)));
      expect(statusCode).toBe(201);
      return json.token;
    };

    // Three handovers reach their copy job through a proxy that passes everything...
    const tokens = await Promise.all(names.slice(0, 3).map(submit));
    await waitFor(() => tokens.every((t) => h.jobs.jobs.some((j) => j.key === keyOf(t, 'copy'))), 60_000, 'three copy jobs');

    // ...then the faults, each for several poll intervals; the fourth handover is submitted as the first begins,
    // so its copy submission meets them too.
    const during: string[] = [];
    for (const fault of FAULTS) {
      await proxy.setMode(fault);
      const before = proxy.seen[fault];
      if (fault === FAULTS[0]) tokens.push(await submit(names[3]));
      await new Promise((r) => setTimeout(r, FAULT_MS));
      const progress = await Promise.all(tokens.map((t) => h.progress(t)));
      during.push(
        `${fault} for ${FAULT_MS} ms: ${proxy.seen[fault] - before} requests; ` +
          `statuses ${[...new Set(progress.map((p) => `${p.status}/${p.step}`))].join(', ')}; ` +
          `last word: ${progress.map((p) => p.job_progress).find((w) => w && !w.includes('is running')) ?? progress[0].job_progress}`,
      );
      expect(progress.map((p) => p.status)).toEqual(tokens.map(() => 'running'));
    }
    await proxy.setMode('pass');
    const slowPastTimeout = proxy.requests.filter((r) => r.mode === 'slow' && (r.delayMs ?? 0) > REQUEST_TIMEOUT_MS).length;
    const submissionsByMode = Object.fromEntries(
      FAULTS.map((m) => [m, proxy.requests.filter((r) => r.mode === m && r.method === 'POST').length]),
    );
    console.log(
      `injected: fault proxy in front of the copy service (port ${proxy.port}; poll interval ${POLL_INTERVAL_MS}-${POLL_MAX_INTERVAL_MS} ` +
        `ms, request timeout ${REQUEST_TIMEOUT_MS} ms); ` +
        `refuse (not listening), error500, slow (answers held ${proxy.slowDelaysMs.join(' / ')} ms in turn), ${FAULT_MS} ms each, ` +
        `while ${tokens.length} handovers were in or reaching the copy step`,
    );
    for (const line of during) console.log(`  ${line}`);

    const done = await Promise.all(tokens.map((t) => h.waitForStatus(t, 'completed', 180_000)));
    const completed = done.filter((p) => p.status === 'completed' && !p.failure).length;
    const jobCounts = tokens.map((t) => STEPS.map((step) => h.jobs.jobs.filter((j) => j.key === keyOf(t, step)).length));
    const duplicateJobs = jobCounts.flat().reduce((sum, n) => sum + Math.max(0, n - 1), 0);
    const missingJobs = jobCounts.flat().filter((n) => n === 0).length;
    const copySubmissions = tokens.map((t) => h.jobs.submissions.filter((s) => s.key === keyOf(t, 'copy')).length);
    const mails = (name: string) => h.smtp.messages.filter((m) => m.subject?.startsWith(`Handover of ${name} `));
    await waitFor(() => names.every((n) => mails(n).length >= 1), 60_000, 'an email per handover');
    await new Promise((r) => setTimeout(r, 1000)); // room for a failure email, were one coming
    const completionMails = names.map((n) => mails(n).filter((m) => m.subject === `Handover of ${n} completed`).length);
    const otherMails = names.flatMap((n) =>
      mails(n)
        .filter((m) => m.subject !== `Handover of ${n} completed`)
        .map((m) => m.subject),
    );
    const lost = tokens.length - completed + missingJobs;
    // Counted at the end: the last answers held when the faults ended were still waiting then.
    const late = proxy.requests.filter((r) => r.answer === 'gone').length;
    console.log(
      `found: requests per mode ${JSON.stringify(proxy.seen)} (refused ones counted by the client); ` +
        `copy submissions per mode ${JSON.stringify(submissionsByMode)}; ` +
        `slow answers held past the request timeout: ${slowPastTimeout}, of which the client had gone: ${late}; ` +
        `${completed}/${tokens.length} completed; copy submissions that reached the service per handover: ${copySubmissions.join(', ')}; ` +
        `jobs per step per handover (healthcheck, copy, metadata, event): ${[...new Set(jobCounts.map((c) => c.join('/')))].join(', ')}; ` +
        `completion emails per handover: ${completionMails.join(', ')}; ` +
        `other emails: ${otherMails.length ? otherMails.join(' | ') : 'none'}`,
    );
    console.log(
      `fault: copy service refuse/500/slow; handovers: ${tokens.length}; completed: ${completed}; duplicate jobs: ${duplicateJobs}; ` +
        `lost: ${lost}`,
    );

    for (const mode of ['pass', ...FAULTS] as FaultMode[]) expect(proxy.seen[mode]).toBeGreaterThan(0);
    expect(late).toBeGreaterThan(0);
    expect(completed).toBe(tokens.length);
    expect(jobCounts).toEqual(tokens.map(() => STEPS.map(() => 1)));
    expect(completionMails).toEqual(names.map(() => 1));
    expect(otherMails).toEqual([]);
    expect(duplicateJobs).toBe(0);
    expect(lost).toBe(0);
  },
  300_000,
);
