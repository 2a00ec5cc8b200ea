/** Batch handover: one handover per database under its own lock, counts by status, one summary email. */
import { type Harness, startHarness } from '../helpers/harness';
import { waitFor } from '../helpers/wait';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.stop());

test('a batch of 20 databases, some failing their checks, one listed twice: right counts, one summary email', async () => {
  h.jobs.scripts.healthcheck.outcomeFor = (input) => (String(input.db_uri).includes('_bad_') ? 'problems' : undefined);
  const names = Array.from({ length: 20 }, (_, i) => (i % 4 === 3 ? `batch_bad_${i}_core_110_1` : `batch_ok_${i}_core_110_1`));
  const items = names.map((name) => ({ src_uri: h.sqliteSource(name), type: 'new_genebuild', comment: `batch item ${name}` }));
  items.push({ ...items[0], comment: 'listed twice' }); // the same database again: held off by its lock
  const res = await h.app.inject({ method: 'POST', url: '/batches', payload: { contact: 'batcher@example.org', handovers: items } });
  expect(res.statusCode).toBe(201);
  const { batch_id, tokens, status_url } = res.json();
  expect(tokens).toHaveLength(21);
  expect(status_url).toBe(`http://handover.test/batches/${batch_id}`);

  const ended = await waitFor(
    async () => {
      const b = (await h.app.inject({ method: 'GET', url: `/batches/${batch_id}` })).json();
      return b.status === 'ended' ? b : undefined;
    },
    120_000,
    'the batch to end',
  );
  expect(ended.counts).toEqual({ running: 0, completed: 15, failed: 5, cancelled: 0, rejected: 0, locked: 1 });
  // The database listed twice: one of the two runs, the other is held off by the lock (which, the server decides).
  const pair = [ended.handovers[0], ended.handovers[20]];
  expect(pair.map((p: { status: string }) => p.status).sort()).toEqual(['completed', 'locked']);
  expect(pair.find((p: { status: string }) => p.status === 'locked')).toMatchObject({
    database: names[0],
    reason: 'a handover of this database is already running',
  });
  for (const [i, name] of names.entries()) {
    if (i === 0) continue;
    expect(ended.handovers[i]).toMatchObject({ token: tokens[i], database: name, status: name.includes('_bad_') ? 'failed' : 'completed' });
  }
  const summary = await h.smtp.waitForSubject(`Handover batch ${batch_id}`);
  expect(summary.subject).toBe(
    `Handover batch ${batch_id}: 15 completed, 5 failed, 0 cancelled, 0 rejected, 1 locked (another handover of the database was running)`,
  );
  expect(summary.text).toContain(`${names[3]}: failed http://handover.test/ui/handover.html?token=${tokens[3]}`);
  await new Promise((r) => setTimeout(r, 500));
  expect(h.smtp.messages.filter((m) => m.subject?.startsWith('Handover batch'))).toHaveLength(1);
});

test('a bad item is named by its position; nothing of the batch starts', async () => {
  const before = h.jobs.submissions.length;
  const res = await h.app.inject({
    method: 'POST',
    url: '/batches',
    payload: {
      contact: 'batcher@example.org',
      handovers: [
        { src_uri: h.sqliteSource('batch_fine_core_110_1'), type: 'patch', comment: 'ok' },
        { src_uri: 'nope', type: 'patch', comment: 'x' },
      ],
    },
  });
  expect(res.statusCode).toBe(400);
  expect(res.json().issues).toEqual([{ field: 'handovers.1.src_uri', message: expect.stringContaining('is not a URI') }]);
  await new Promise((r) => setTimeout(r, 500));
  expect(h.jobs.submissions.length).toBe(before);
});
