/**
 * The handover page in a real browser (Debian's Chromium), against the API on a real port and the real Temporal
 * server (the shared part: web-pages.ts): restart from the page, a failed healthcheck's checks, cancel from the page
 * (with the job's progress while it runs). Screenshots go to tests/.artifacts/screenshots. The pages run under their
 * strict Content-Security-Policy: any violation on them fails the test (csp.ts).
 */
import path from 'node:path';
import { RESTARTABLE_STEPS } from '../../vocabulary';
import { SCREENSHOTS } from '../helpers/browser';
import { type Harness, spec } from '../helpers/harness';
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
