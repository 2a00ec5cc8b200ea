/**
 * The web pages against an API with keys (HANDOVER_API_KEYS), in Debian's Chromium: the page asks for
 * the key once, keeps it for the tab across pages, and shows a refusal of the key's role. Without
 * keys there is no prompt at all (the web-*.test.ts files drive every page that way). The key prompt, too, keeps
 * to the pages' Content-Security-Policy: a violation fails the test (csp.ts).
 */
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildApp } from '../../api/app';
import { loadConfig } from '../../common/config';
import { createSealer } from '../../common/secrets';
import { SCREENSHOTS, launchBrowser } from '../helpers/browser';
import { type Harness, startHarness } from '../helpers/harness';
import { type CspViolation, EXPECTED_CSP, isTemporalUi, watchCsp } from './csp';

const SUBMIT_KEY = 'web-submit-key-7c1e9a2b4d6f8a0c';
const READ_KEY = 'web-read-key-3b5d7f9a1c2e4a6b';
const KEYS = { [SUBMIT_KEY]: { name: 'web-curator', role: 'submit' }, [READ_KEY]: { name: 'web-dashboard', role: 'read' } };

let h: Harness;
let base: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Every API answer the page got: status and path. */
let answers: Array<{ status: number; path: string }>;
/** Content-Security-Policy violations on the Handover pages during the current test. */
let violations: CspViolation[];

beforeAll(async () => {
  h = await startHarness({ HANDOVER_API_KEYS: JSON.stringify(KEYS), TEMPORAL_WEB_URL: process.env.TEST_TEMPORAL_UI! });
  base = await h.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await h?.stop();
});
beforeEach(async () => {
  h.jobs.reset();
  context = await browser.newContext();
  violations = await watchCsp(context, isTemporalUi);
  page = await context.newPage();
  answers = [];
  page.on('response', (res) => {
    const url = new URL(res.url());
    if (!url.pathname.startsWith('/ui/') || url.pathname === '/ui/config.json') answers.push({ status: res.status(), path: url.pathname });
  });
});
afterEach(async () => {
  try {
    expect(violations).toEqual([]);
  } finally {
    await context?.close();
  }
});

const keyForm = () => page.locator('#key-form');

async function enterKey(key: string) {
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Use this key' }).click();
}

test('the page asks for the key once, then lists, submits and follows the handover, the key kept across pages', async () => {
  const response = await page.goto(`${base}/ui/index.html`);
  expect(response?.headers()['content-security-policy']).toBe(EXPECTED_CSP); // the page itself needs no key
  // Asked once, however many requests the page made (list, admission, the 2-second refresh).
  await page.getByRole('heading', { name: 'This Handover API needs a key' }).waitFor();
  const input = page.getByLabel('API key');
  expect(await input.getAttribute('type')).toBe('password');
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('api-key');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'api-key-prompt.png'), fullPage: true });
  await page.waitForTimeout(2500); // a refresh tick while the prompt waits: still one prompt
  expect(await keyForm().count()).toBe(1);

  // A wrong key: asked again, with the API's reason.
  await enterKey('this-is-not-the-key-0000');
  await page.locator('#api-key-error').getByText('That key was not accepted: this API key is not valid').waitFor();
  expect(await keyForm().count()).toBe(1);

  await enterKey(SUBMIT_KEY);
  await page
    .locator('#summary')
    .getByText(/^\d+ handover\(s\)$/)
    .waitFor();
  expect(await keyForm().count()).toBe(0);
  // The requests that waited were sent again with the key; the polls did not pile up meanwhile.
  expect(answers.filter((a) => a.status === 401).length).toBeLessThanOrEqual(8);

  // Another page of the same tab: no prompt, the update types come from the API with the key.
  const before = answers.length;
  await page.getByRole('link', { name: 'Submit' }).click();
  await page.waitForURL('**/ui/submit.html');
  await page.locator('#type option[value="patch"]').waitFor({ state: 'attached' });
  await page.getByLabel('Source database URI').fill(h.sqliteSource('web_auth_core_110_1'));
  await page.getByLabel('Contact email').fill('web-auth@example.org');
  await page.getByLabel('Update type').selectOption('patch');
  await page.getByLabel('Comment').fill('handed over with an API key');
  await page.getByRole('button', { name: 'Submit handover' }).click();
  const token = await page.locator('#token').textContent();
  expect(token).toMatch(/^[0-9a-f-]{36}$/);
  await page.waitForURL(`**/ui/handover.html?token=${token}`);
  await page.locator('#status .badge.completed').waitFor({ timeout: 60_000 });
  expect(await page.locator('#progress-text').textContent()).toBe('5 of 5');
  expect(await page.locator('#temporal').getAttribute('href')).toContain(`/workflows/${token}`); // /ui/config.json, with the key

  // Back to the list: the handover is there, still no prompt.
  await page.getByRole('link', { name: 'Handovers' }).click();
  await page.locator(`tr[data-token="${token}"] .badge.completed`).waitFor({ timeout: 30_000 });
  expect(await keyForm().count()).toBe(0);
  expect(answers.slice(before).filter((a) => a.status === 401)).toEqual([]);
  expect(answers.slice(before).length).toBeGreaterThan(5);
  expect(await page.evaluate(() => sessionStorage.getItem('handover-api-key'))).toBe(SUBMIT_KEY);

  // A new tab starts without it: the key is kept for one tab only.
  const other = await context.newPage();
  await other.goto(`${base}/ui/index.html`);
  await other.getByLabel('API key').waitFor();
  await other.close();
});

test('a read key: the list works, a submission shows the 403 and offers another key', async () => {
  const submissions = h.jobs.submissions.length;
  await page.goto(`${base}/ui/index.html`);
  await enterKey(READ_KEY);
  await page
    .locator('#summary')
    .getByText(/^\d+ handover\(s\)$/)
    .waitFor();
  expect(await page.locator('#another-key').count()).toBe(0);
  await page.getByRole('link', { name: 'Submit' }).click();
  await page.locator('#type option[value="patch"]').waitFor({ state: 'attached' });
  await page.getByLabel('Source database URI').fill(h.sqliteSource('web_auth_read_core_110_1'));
  await page.getByLabel('Contact email').fill('web-auth@example.org');
  await page.getByLabel('Update type').selectOption('patch');
  await page.getByLabel('Comment').fill('a reader may not submit');
  await page.getByRole('button', { name: 'Submit handover' }).click();
  await page
    .locator('#result')
    .getByText('The handover could not be submitted: POST /handovers needs the submit role; the key "web-dashboard" has the read role')
    .waitFor();
  expect(h.jobs.submissions).toHaveLength(submissions);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'api-key-403.png'), fullPage: true });

  // Another key, in the same tab: the prompt again, then the submission goes through.
  await page.getByRole('button', { name: 'Use another API key' }).click();
  await enterKey(SUBMIT_KEY);
  await page.locator('#type option[value="patch"]').waitFor({ state: 'attached' });
  await page.getByLabel('Source database URI').fill(h.sqliteSource('web_auth_read2_core_110_1'));
  await page.getByLabel('Contact email').fill('web-auth@example.org');
  await page.getByLabel('Update type').selectOption('patch');
  await page.getByLabel('Comment').fill('now with a submit key');
  await page.getByRole('button', { name: 'Submit handover' }).click();
  await page.locator('#token').waitFor();
});

test('an open API (no keys): no prompt, the pages work as before', async () => {
  const { HANDOVER_API_KEYS: _keys, ...env } = h.env;
  const config = loadConfig(env);
  const open = await buildApp({ client: h.client, config, sealer: createSealer(config.HANDOVER_SECRET_KEY) });
  try {
    const openBase = await open.listen({ host: '127.0.0.1', port: 0 });
    await page.goto(`${openBase}/ui/index.html`);
    await page
      .locator('#summary')
      .getByText(/^\d+ handover\(s\)$/)
      .waitFor();
    await page.goto(`${openBase}/ui/submit.html`);
    await page.locator('#type option[value="patch"]').waitFor({ state: 'attached' });
    expect(await keyForm().count()).toBe(0);
    expect(answers.filter((a) => a.status === 401)).toEqual([]);
  } finally {
    await open.close();
  }
});
