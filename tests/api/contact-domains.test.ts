/**
 * HANDOVER_CONTACT_DOMAINS on the real API and Temporal server: a contact outside the domains is a 400
 * naming `contact` and the allowed domains, for single submissions, Ensembl's POST /jobs, batches (the
 * batch's contact and each item's) and restarts (which mail the original's contact); one inside them
 * (any case, a subdomain) is handed over.
 */
import { buildApp } from '../../api/app';
import { loadConfig } from '../../common/config';
import { createSealer } from '../../common/secrets';
import { type Harness, spec, startHarness } from '../helpers/harness';

const ALLOWED =
  'must be an address at ebi.ac.uk, sanger.ac.uk (or a subdomain): Handover mails only these domains (HANDOVER_CONTACT_DOMAINS)';
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ HANDOVER_CONTACT_DOMAINS: 'ebi.ac.uk,Sanger.ac.uk' });
});
afterAll(async () => h?.stop());
beforeEach(() => h.jobs.reset());

const post = (url: string, payload: object) => h.app.inject({ method: 'POST', url, payload });

test('a contact outside the domains is refused naming contact and the domains; nothing starts', async () => {
  for (const contact of ['curator@gmail.com', 'curator@evilebi.ac.uk', 'curator@ebi.ac.uk.evil.org']) {
    const res = await post('/handovers', spec(h.sqliteSource('domains_core_110_1'), { contact }));
    expect(res.statusCode).toBe(400);
    expect(res.json().issues).toEqual([{ field: 'contact', message: ALLOWED }]);
  }
  const ensembl = await post('/jobs', { src_uri: h.sqliteSource('domains_core_110_1'), contact: 'curator@gmail.com', comment: 'x' });
  expect(ensembl.statusCode).toBe(400);
  expect(ensembl.json().issues).toEqual([{ field: 'contact', message: ALLOWED }]);
  const batch = await post('/batches', {
    contact: 'lead@gmail.com',
    handovers: [{ src_uri: h.sqliteSource('domains_b_core_110_1'), type: 'patch', comment: 'x' }],
  });
  expect(batch.statusCode).toBe(400);
  expect(batch.json().issues).toEqual([{ field: 'contact', message: ALLOWED }]);
  const item = await post('/batches', {
    contact: 'lead@ebi.ac.uk',
    handovers: [{ src_uri: h.sqliteSource('domains_b_core_110_1'), type: 'patch', comment: 'x', contact: 'x@gmail.com' }],
  });
  expect(item.statusCode).toBe(400);
  expect(item.json().issues).toEqual([{ field: 'handovers.0.contact', message: ALLOWED }]);
  expect((await h.app.inject({ method: 'GET', url: '/handovers?database=domains_core_110_1' })).json().handovers).toEqual([]);
});

test('a contact at a domain, in any case or at a subdomain, is handed over and mailed', async () => {
  const res = await post('/handovers', spec(h.sqliteSource('domains_ok_core_110_1'), { contact: 'Curator@Mail.EBI.ac.uk' }));
  expect(res.statusCode).toBe(201);
  await h.waitForStatus(res.json().token, 'completed');
  expect((await h.smtp.waitForSubject('domains_ok_core_110_1')).to).toMatchObject({
    text: expect.stringMatching(/^curator@mail\.ebi\.ac\.uk$/i),
  });
});

test('a restart mails the original contact: one outside the domains (handed over before the setting) is refused', async () => {
  // The same task queue and worker, an API without the setting: the handover of an earlier day.
  const { HANDOVER_CONTACT_DOMAINS: _set, ...env } = h.env;
  const config = loadConfig(env);
  const before = await buildApp({ client: h.client, config, sealer: createSealer(config.HANDOVER_SECRET_KEY) });
  try {
    h.jobs.scripts.copy.outcome = 'failed';
    const submitted = await before.inject({
      method: 'POST',
      url: '/handovers',
      payload: spec(h.sqliteSource('domains_restart_core_110_1'), { contact: 'old@gmail.com' }),
    });
    expect(submitted.statusCode).toBe(201);
    const token = submitted.json<{ token: string }>().token;
    await h.waitForStatus(token, 'failed');
    h.jobs.scripts.copy.outcome = 'complete';
    const restarted = await post(`/handovers/${token}/restart`, {});
    expect(restarted.statusCode).toBe(400);
    expect(restarted.json().issues).toEqual([{ field: 'contact', message: `the handover's contact old@gmail.com ${ALLOWED}` }]);
  } finally {
    await before.close();
  }
});
