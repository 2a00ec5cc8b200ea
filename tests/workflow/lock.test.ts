/** One handover per target database at a time: a real lock, not a list query. */
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Harness, spec, startHarness } from '../helpers/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.stop());

test('a second handover of a database being handed over is refused with the running token (409)', async () => {
  h.jobs.scripts.healthcheck.runningPolls = 3; // each poll is ~1 s: Temporal paces retries in whole seconds
  const src = h.sqliteSource('dup_core_110_1');
  const first = await h.submit(spec(src));
  expect(first.statusCode).toBe(201);

  const second = await h.submit(spec(src, { comment: 'again' }));
  expect(second.statusCode).toBe(409);
  expect(second.json).toEqual({ error: 'a handover of this database is already running', token: first.json.token });
  // Nothing was started for the refused one: still a single handover of that database.
  const list = await h.app.inject({ method: 'GET', url: '/handovers?database=dup_core_110_1' });
  expect(list.json().handovers.map((r: { token: string }) => r.token)).toEqual([first.json.token]);

  // Same target reached through an explicit tgt_uri, from another copy of the source: the same lock.
  const elsewhere = path.join(h.dir, 'elsewhere');
  mkdirSync(elsewhere, { recursive: true });
  copyFileSync(src.replace('sqlite:///', ''), path.join(elsewhere, 'dup_core_110_1.sqlite'));
  const third = await h.submit(spec(`sqlite:///${elsewhere}/dup_core_110_1.sqlite`, { tgt_uri: (await h.progress(first.json.token)).spec.tgt_uri }));
  expect(third.statusCode).toBe(409);

  // Once the first has ended, the database can be handed over again.
  await h.waitForStatus(first.json.token, 'completed');
  h.jobs.scripts.healthcheck.runningPolls = 1;
  let again = await h.submit(spec(src, { comment: 'again, later' }));
  for (let i = 0; again.statusCode === 409 && i < 50; i++) {
    // The lock closes a moment after the handover's last step (its email).
    await new Promise((r) => setTimeout(r, 100));
    again = await h.submit(spec(src, { comment: 'again, later' }));
  }
  expect(again.statusCode).toBe(201);
  await h.waitForStatus(again.json.token, 'completed');
});

test('two submissions at the same moment: exactly one starts', async () => {
  h.jobs.scripts.healthcheck.runningPolls = 2;
  const src = h.sqliteSource('race_core_110_1');
  const answers = await Promise.all([1, 2, 3, 4].map((i) => h.submit(spec(src, { comment: `try ${i}` }))));
  const codes = answers.map((a) => a.statusCode).sort();
  expect(codes).toEqual([201, 409, 409, 409]);
  const winner = answers.find((a) => a.statusCode === 201)!.json.token;
  for (const a of answers.filter((a) => a.statusCode === 409)) expect(a.json.token).toBe(winner);
  await h.waitForStatus(winner, 'completed');
});
