/**
 * The submit page in a real browser (Debian's Chromium), against the API on a real port and the real Temporal server
 * (the shared part: web-pages.ts): the form's checks, a good handover followed to completed on its page and into the
 * Temporal Web UI, and the page when handover is closed. Screenshots go to tests/.artifacts/screenshots. The pages
 * run under their strict Content-Security-Policy: any violation on them fails the test (csp.ts).
 */
import path from 'node:path';
import { SCREENSHOTS } from '../helpers/browser';
import { type Harness, startHarness } from '../helpers/harness';
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
