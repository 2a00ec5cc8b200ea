/**
 * The shared part of the web page tests (web-submit.test.ts, web-handover-page.test.ts, web-list.test.ts): the API on
 * a real port with the real Temporal server, and a real browser (Debian's Chromium) whose pages are watched for
 * Content-Security-Policy violations (csp.ts). Each test file starts its own (startWebPages, in its beforeAll) and
 * opens a fresh page for each test (openPage, in its beforeEach).
 */
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser';
import { type Harness, startHarness } from '../helpers/harness';
import { type CspViolation, isTemporalUi, watchCsp } from './csp';

/** The harness with its API listening on `base`, and the browser. */
export async function startWebPages(): Promise<{ h: Harness; base: string; browser: Browser }> {
  const h = await startHarness({ TEMPORAL_WEB_URL: process.env.TEST_TEMPORAL_UI! });
  const base = await h.app.listen({ host: '127.0.0.1', port: 0 });
  const browser = await launchBrowser();
  return { h, base, browser };
}

export async function stopWebPages(h: Harness | undefined, browser: Browser | undefined): Promise<void> {
  await browser?.close();
  await h?.stop();
}

/** A new page for a test, with the fake job services reset; `violations` are the CSP violations on its Handover pages. */
export async function openPage(h: Harness, browser: Browser): Promise<{ page: Page; violations: CspViolation[] }> {
  h.jobs.reset();
  const page = await browser.newPage();
  const violations = await watchCsp(page.context(), isTemporalUi);
  return { page, violations };
}
