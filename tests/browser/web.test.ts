/**
 * The web pages in a real browser (Debian's Chromium), against the API on a real port and the real
 * Temporal server. Screenshots of the three pages go to tests/.artifacts/screenshots. The pages run
 * under their strict Content-Security-Policy: any violation on them fails the test (csp.ts).
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { SCREENSHOTS, launchBrowser } from '../helpers/browser';
import {
  BATCH_ITEM_STATUSES,
  DATABASE_TYPES,
  HANDOVER_STATUSES,
  OUTCOMES,
  REFUSALS_WORKFLOW,
  RESTARTABLE_STEPS,
  STEPS,
  recordRefusalsSignal,
  refusalsWorkflowId,
} from '../../vocabulary';
import { type Harness, spec, startHarness } from '../helpers/harness';
import { waitFor } from '../helpers/wait';
import { type CspViolation, EXPECTED_CSP, isTemporalUi, watchCsp } from './csp';

let h: Harness;
let base: string;
let browser: Browser;
let page: Page;
/** Content-Security-Policy violations on the Handover pages during the current test. */
let violations: CspViolation[];

beforeAll(async () => {
  h = await startHarness({ TEMPORAL_WEB_URL: process.env.TEST_TEMPORAL_UI! });
  base = await h.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await h?.stop();
});
beforeEach(async () => {
  h.jobs.reset();
  page = await browser.newPage();
  violations = await watchCsp(page.context(), isTemporalUi);
});
afterEach(async () => {
  try {
    expect(violations).toEqual([]);
  } finally {
    await page?.close();
  }
});

const listCount = async () => (await h.app.inject({ method: 'GET', url: '/handovers?limit=1000' })).json().handovers.length;

async function fillSubmitForm(src: string, contact: string, updateType = 'new_genebuild') {
  await page.goto(`${base}/ui/submit.html`);
  await page.getByLabel('Source database URI').fill(src);
  await page.getByLabel('Contact email').fill(contact);
  // The update types come from the API's list (GET /vocabulary), not from the page.
  await page.locator(`#type option[value="${updateType}"]`).waitFor({ state: 'attached' });
  await page.getByLabel('Update type').selectOption(updateType);
  await page.getByLabel('Comment').fill('handed over from the browser');
}

test('a bad email: the field says why, nothing is started', async () => {
  const before = await listCount();
  await fillSubmitForm(h.sqliteSource('web_bad_core_110_1'), 'not-an-email');
  await page.getByRole('button', { name: 'Submit handover' }).click();
  await page.locator('#contact-error').getByText('Contact must be an email address').waitFor();
  expect(await page.getByLabel('Contact email').getAttribute('aria-invalid')).toBe('true');
  expect(await page.locator('#src_uri-error').textContent()).toBe('');
  expect(await listCount()).toBe(before);
  expect(h.jobs.submissions).toHaveLength(0);
});

test('the update type is chosen from the list; without one the field says why', async () => {
  await fillSubmitForm(h.sqliteSource('web_untyped_core_110_1'), 'web@example.org');
  expect(await page.locator('#type option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value))).toEqual([
    '',
    'new_assembly',
    'new_genebuild',
    'patch',
    'other',
  ]);
  await page.getByLabel('Update type').selectOption('');
  await page.getByRole('button', { name: 'Submit handover' }).click();
  await page.locator('#type-error').getByText('Update type is required').waitFor();
  expect(h.jobs.submissions).toHaveLength(0);
});

test('a good handover: the token is shown, its page follows every step to completed', async () => {
  await fillSubmitForm(h.sqliteSource('web_good_core_110_1'), 'web@example.org', 'patch');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'submit.png'), fullPage: true });
  await page.getByRole('button', { name: 'Submit handover' }).click();
  const token = await page.locator('#token').textContent();
  expect(token).toMatch(/^[0-9a-f-]{36}$/);
  await page.waitForURL(`**/ui/handover.html?token=${token}`);
  await page.locator('#status .badge.completed').waitFor({ timeout: 60_000 });
  expect(
    await page.locator('#timeline tr').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-step'), r.children[1].textContent])),
  ).toEqual([
    ['checking', 'passed'],
    ['healthcheck', 'passed'],
    ['copy', 'passed'],
    ['metadata', 'passed'],
    ['event', 'passed'],
  ]);
  expect(await page.locator('#progress-text').textContent()).toBe('5 of 5');
  const facts = await page.locator('#facts').textContent();
  expect(facts).toContain('Update typepatch');
  expect(facts).toContain('Database typecore');
  expect(await page.locator('#timeline a').first().getAttribute('href')).toMatch(/\/healthcheck\/jobs\/\d+$/);
  await page.locator('#reports-box summary').click();
  // The last report can reach the page a refresh after the status (a loaded machine): wait for it, then read them all.
  await page.locator('#reports tr', { hasText: 'Handover successful' }).waitFor({ timeout: 30_000 });
  const reports = await page
    .locator('#reports tr')
    .evaluateAll((rows) => rows.map((r) => [r.children[1].textContent, r.children[2].textContent]));
  expect(reports[0]).toEqual(['INFO', 'Checking the source database']);
  expect(reports.at(-1)).toEqual(['INFO', expect.stringMatching(/^Handover successful: web_good_core_110_1 is on staging at /)]);
  expect(await page.locator('#report-count').textContent()).toBe(String(reports.length));
  await page.screenshot({ path: path.join(SCREENSHOTS, 'handover.png'), fullPage: true });

  // The link into the Temporal Web UI finds the same workflow, with its search attributes.
  const link = await page.locator('#temporal').getAttribute('href');
  expect(link).toBe(`${process.env.TEST_TEMPORAL_UI}/namespaces/default/workflows/${token}`);
  await page.goto(link!);
  await page.getByText(token!).first().waitFor({ timeout: 60_000 });
  await page.getByText('Search Attributes', { exact: true }).first().click();
  await page.getByText('HandoverDatabase').first().waitFor({ timeout: 30_000 });
  await page.getByText('web_good_core_110_1').first().waitFor();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'temporal-ui.png'), fullPage: true });
});

test('restart from the page: a handover failed at the copy step goes on from there', async () => {
  h.jobs.scripts.copy.outcome = 'failed';
  const { json } = await h.submit(spec(h.sqliteSource('web_restart_core_110_1')));
  await page.goto(`${base}/ui/handover.html?token=${json.token}`);
  await page.locator('#status .badge.failed').waitFor({ timeout: 60_000 });
  h.jobs.scripts.copy.outcome = 'complete';
  // The steps to restart from come from the API (GET /vocabulary).
  expect(await page.locator('#from option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value))).toEqual([
    '',
    ...RESTARTABLE_STEPS,
  ]);
  await page.getByRole('button', { name: 'Restart this handover' }).click();
  await page.waitForURL((url) => url.searchParams.get('token') !== json.token, { timeout: 30_000 });
  await page.locator('#status .badge.completed').waitFor({ timeout: 60_000 });
  expect(await page.locator('tr[data-step="healthcheck"] td').nth(1).textContent()).toBe('skipped');
  expect(await page.getByRole('link', { name: json.token }).count()).toBe(1);
});

test('a failing healthcheck: the page shows which checks failed and why', async () => {
  h.jobs.scripts.healthcheck.outcome = 'problems';
  const { json } = await h.submit(spec(h.sqliteSource('web_problems_core_110_1')));
  await page.goto(`${base}/ui/handover.html?token=${json.token}`);
  await page.locator('#status .badge.failed').waitFor({ timeout: 60_000 });
  const failure = await page.locator('#failure-box').textContent();
  expect(failure).toContain('Failed at the healthcheck step (the checks found problems)');
  expect(failure).toContain('MetaKeys: meta key species.production_name is missing');
});

test('cancel from the page: the running handover ends cancelled', async () => {
  h.jobs.scripts.copy.runningPolls = 100_000;
  const { json } = await h.submit(spec(h.sqliteSource('web_cancel_core_110_1')));
  await page.goto(`${base}/ui/handover.html?token=${json.token}`);
  await page.getByText('current step: copy').waitFor({ timeout: 60_000 });
  // The job's own progress, as its service reports it, shows while it runs: a bar with its numbers, not JSON.
  await page.locator('#job-box').waitFor({ state: 'visible', timeout: 30_000 });
  expect(await page.locator('#job-label').textContent()).toMatch(/^copy job \d+ \(running\)$/);
  expect(await page.locator('#job-bar').evaluate((bar) => [(bar as HTMLProgressElement).value, (bar as HTMLProgressElement).max])).toEqual([
    1, 3,
  ]);
  expect(await page.locator('#job-text').textContent()).toBe('1 of 3');
  expect(await page.locator('body').textContent()).not.toContain('{"complete"');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'handover-job-progress.png'), fullPage: true });
  await page.getByLabel('Reason').fill('wrong file');
  await page.getByRole('button', { name: 'Cancel this handover' }).click();
  await page.locator('#status .badge.cancelled').waitFor({ timeout: 60_000 });
  expect(await page.getByText('Cancelled by web page: wrong file', { exact: true }).count()).toBe(1);
  expect(await page.locator('#cancel-form').isHidden()).toBe(true);
});

test('the list: newest first, filters, sorting, live updates', async () => {
  const { json } = await h.submit(spec(h.sqliteSource('web_list_core_110_1'), { contact: 'lister@example.org' }));
  await page.goto(`${base}/ui/index.html`);
  // Live: the new handover appears and reaches completed without a reload.
  await page.locator(`tr[data-token="${json.token}"] .badge.completed`).waitFor({ timeout: 60_000 });
  await page.screenshot({ path: path.join(SCREENSHOTS, 'list.png'), fullPage: true });
  expect(await page.locator('tbody tr').first().getAttribute('data-token')).toBe(json.token);

  await page.getByLabel('Contact').fill('lister@example.org');
  await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
  expect(await page.locator('tbody tr').getAttribute('data-token')).toBe(json.token);
  await page.getByLabel('Contact').fill('');
  // The statuses to filter by come from the API (GET /vocabulary).
  expect(await page.locator('#status option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value))).toEqual([
    '',
    ...HANDOVER_STATUSES,
  ]);
  await page.getByLabel('Status').selectOption('failed');
  await page.waitForFunction(() => [...document.querySelectorAll('tbody tr .badge')].every((b) => b.textContent === 'failed'));
  await page.getByLabel('Status').selectOption('');
  await page.getByLabel('Search').fill('web_list_core');
  await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
  await page.getByLabel('Search').fill('');
  await page.getByRole('button', { name: 'Database' }).click();
  await page.waitForFunction(() => document.querySelector('th[aria-sort="ascending"]')?.textContent?.startsWith('Database'));
  const databases = await page.locator('tbody tr td:nth-child(3)').allTextContents();
  expect(databases).toEqual([...databases].sort());
});

test('when handover is closed the submit page says so, and a refusal shows as rejected', async () => {
  const closed = await startHarness({ HANDOVER_ALLOWED_TYPES: '', TEMPORAL_WEB_URL: process.env.TEST_TEMPORAL_UI! });
  try {
    const closedBase = await closed.app.listen({ host: '127.0.0.1', port: 0 });
    await page.goto(`${closedBase}/ui/submit.html`);
    await page.getByText('Handover is closed: no database types are being taken now.').waitFor();
    expect(await page.getByRole('button', { name: 'Submit handover' }).isDisabled()).toBe(true);

    // With the window open, an unknown name is refused with its reason, and listed as rejected.
    await fillSubmitForm(h.sqliteSource('scratch_copy'), 'web@example.org');
    await page.getByRole('button', { name: 'Submit handover' }).click();
    await page
      .locator('#src_uri-error')
      .getByText(/is not an Ensembl name/)
      .waitFor();
    await page.getByRole('link', { name: 'rejected' }).click();
    await page.locator('#status .badge.rejected').waitFor({ timeout: 30_000 });
  } finally {
    await closed.stop();
  }
});

test('the list stays inside the window with a 300-character database name, a long comment and a long contact', async () => {
  // Names are at most 64 characters now; a longer one can only come from a record made before that
  // limit: a refusal is written into the refusals log as the API once recorded it.
  const name = `${'verylongspecies_'.repeat(20).slice(0, 288)}x_core_110_1`;
  expect(name).toHaveLength(300);
  const longContact = `${'someone.with.a.long.address.'.repeat(5)}x@example.org`;
  const token = `long-name-${Date.now()}`;
  const refusal = {
    token,
    submitted_at: new Date().toISOString(),
    database: name,
    database_type: 'core',
    update_type: 'patch',
    spec: { src_uri: `sqlite:////data/${name}.sqlite`, tgt_uri: '', contact: longContact, type: 'patch', comment: 'why '.repeat(300) },
    field: 'src_uri',
    reason: 'recorded before names were limited',
  };
  await h.client.workflow.signalWithStart(REFUSALS_WORKFLOW, {
    workflowId: refusalsWorkflowId(h.config.HANDOVER_TASK_QUEUE),
    taskQueue: h.config.HANDOVER_TASK_QUEUE,
    args: [[]],
    signal: recordRefusalsSignal,
    signalArgs: [[refusal]],
  });
  const json = { token };
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${base}/ui/index.html`);
  const row = page.locator(`tr[data-token="${json.token}"]`);
  await row.waitFor();
  const sizes = await page.evaluate((token) => {
    const tr = document.querySelector(`tr[data-token="${token}"]`)!;
    return {
      window: window.innerWidth,
      page: document.documentElement.scrollWidth,
      table: document.querySelector('table')!.getBoundingClientRect().right,
      row: tr.getBoundingClientRect().right,
      cells: [...tr.children].map((td) => td.getBoundingClientRect().right),
    };
  }, json.token);
  expect(sizes.page).toBeLessThanOrEqual(sizes.window);
  expect(sizes.table).toBeLessThanOrEqual(sizes.window);
  for (const right of sizes.cells) expect(right).toBeLessThanOrEqual(sizes.window);
  // The whole text is there: the name wraps, the contact and comment show it on hover.
  expect(await row.locator('td').nth(2).textContent()).toBe(name);
  expect(await row.locator('td').nth(3).getAttribute('title')).toBe(longContact);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'list-long-names.png'), fullPage: true });
});

test('GET /vocabulary: the lists the pages choose from, from the shared vocabulary and the update types in force', async () => {
  const res = await h.app.inject({ method: 'GET', url: '/vocabulary' });
  expect(res.statusCode).toBe(200);
  expect(res.json()).toEqual({
    steps: [...STEPS],
    restartable_steps: [...RESTARTABLE_STEPS],
    statuses: [...HANDOVER_STATUSES],
    batch_item_statuses: [...BATCH_ITEM_STATUSES],
    update_types: ['new_assembly', 'new_genebuild', 'patch', 'other'],
    database_types: [...DATABASE_TYPES],
    outcomes: [...OUTCOMES],
  });
  const openapi = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json();
  expect(openapi.paths['/vocabulary'].get.summary).toMatch(/lists to choose from/);
  // The list page offers the database types from it as suggestions, and keeps filters given in the address.
  await page.goto(`${base}/ui/index.html?status=failed&update_type=patch`);
  await page
    .locator('#summary')
    .getByText(/^\d+ handover\(s\)$/)
    .waitFor();
  expect(await page.locator('#database-types option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value))).toEqual(
    [...DATABASE_TYPES],
  );
  expect(await page.getByLabel('Status').inputValue()).toBe('failed');
  expect(await page.getByLabel('Update type').inputValue()).toBe('patch');
});

test('the pages carry a strict Content-Security-Policy, break none of it, and the policy is enforced', async () => {
  for (const url of [
    '/',
    '/ui/index.html',
    '/ui/submit.html',
    '/ui/handover.html?token=x',
    '/ui/app.js',
    '/ui/list.js',
    '/ui/app.css',
    '/ui/config.json',
  ]) {
    const res = await h.app.inject({ method: 'GET', url });
    expect([url, res.headers['content-security-policy'], res.headers['x-content-type-options'], res.headers['referrer-policy']]).toEqual([
      url,
      EXPECTED_CSP,
      'nosniff',
      'no-referrer',
    ]);
  }
  // Only the page files are served: the type check's files are not.
  for (const file of ['types.d.ts', 'tsconfig.json'])
    expect((await h.app.inject({ method: 'GET', url: `/ui/${file}` })).statusCode).toBe(404);
  // Each page's script is an ES module file: no inline script, style or event handler.
  for (const file of ['index.html', 'submit.html', 'handover.html']) {
    const html = (await h.app.inject({ method: 'GET', url: `/ui/${file}` })).body;
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(html).not.toMatch(/<[^>]+\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/<style|<[^>]+\sstyle\s*=/i);
    expect(html).toMatch(/<script type="module" src="\/ui\/[a-z]+\.js"><\/script>/);
  }

  // In the browser: the header arrives with the page, which works under it.
  const response = await page.goto(`${base}/`);
  expect(response?.url()).toBe(`${base}/ui/index.html`);
  expect(response?.headers()['content-security-policy']).toBe(EXPECTED_CSP);
  await page
    .locator('#summary')
    .getByText(/^\d+ handover\(s\)$/)
    .waitFor();
  expect(violations).toEqual([]);

  // The policy holds, and the watcher sees a breach: an inline script and an inline style injected into the page are refused.
  const ran = await page.evaluate(() => {
    const script = document.createElement('script');
    script.textContent = 'window.inlineScriptRan = true';
    document.body.append(script);
    const styled = document.createElement('p');
    styled.setAttribute('style', 'color: red');
    document.body.append(styled);
    return (window as unknown as { inlineScriptRan?: boolean }).inlineScriptRan === true;
  });
  expect(ran).toBe(false);
  await waitFor(
    () => ['script-src-elem', 'style-src-attr'].every((d) => violations.some((v) => v.directive === d)),
    10_000,
    () => `both violations, seen: ${JSON.stringify(violations)}`,
  );
  violations.length = 0; // made on purpose
});
