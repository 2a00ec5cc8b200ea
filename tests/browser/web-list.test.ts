/**
 * The list page in a real browser (Debian's Chromium), against the API on a real port and the real Temporal server
 * (the shared part: web-pages.ts): filters, sorting, live updates and long names; GET /vocabulary, the lists the pages
 * choose from; and the strict Content-Security-Policy every page carries, and is enforced. Screenshots go to
 * tests/.artifacts/screenshots. Any violation of the policy on the pages fails the test (csp.ts).
 */
import path from 'node:path';
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
import { SCREENSHOTS } from '../helpers/browser';
import { type Harness, spec } from '../helpers/harness';
import { waitFor } from '../helpers/wait';
import { EXPECTED_CSP } from './csp';
import type { Browser, Page } from 'playwright-core';
import type { CspViolation } from './csp';
import { openPage, startWebPages, stopWebPages } from './web-pages';

let h: Harness;
let base: string;
let browser: Browser;
let page: Page;
/** Content-Security-Policy violations on the Handover pages during the current test. */
let violations: CspViolation[];

beforeAll(async () => {
  ({ h, base, browser } = await startWebPages());
});
afterAll(async () => {
  await stopWebPages(h, browser);
});
beforeEach(async () => {
  ({ page, violations } = await openPage(h, browser));
});
afterEach(async () => {
  try {
    expect(violations).toEqual([]);
  } finally {
    await page?.close();
  }
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
