/**
 * Watches a browser context for Content-Security-Policy violations on the Handover pages: the
 * `securitypolicyviolation` events of every document, and Chromium's console errors that name the
 * policy. Pages of other origins (the Temporal Web UI the handover page links to) are not ours and are
 * left out. The tests fail (afterEach) when the list is not empty.
 */
import type { BrowserContext, ConsoleMessage } from 'playwright-core';

/** The policy api/routes/web.ts sends with every page. */
export const EXPECTED_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; " +
  "base-uri 'none'; form-action 'self'";

export interface CspViolation {
  /** The document the violation happened in. */
  url: string;
  /** e.g. script-src-elem, or "console" for a console message. */
  directive: string;
  blocked: string;
  sample?: string;
}

const BINDING = '__handoverCspViolation';

/**
 * Starts watching `context` (call before the first navigation) and returns the violations seen so far
 * (a live list). `ignore` leaves out documents that are not Handover pages.
 */
export async function watchCsp(context: BrowserContext, ignore: (url: string) => boolean = () => false): Promise<CspViolation[]> {
  const violations: CspViolation[] = [];
  const add = (v: CspViolation) => {
    if (!ignore(v.url)) violations.push(v);
  };
  await context.exposeBinding(BINDING, (_source, v: CspViolation) => add(v));
  await context.addInitScript((binding) => {
    document.addEventListener(
      'securitypolicyviolation',
      (e) => {
        const report = (globalThis as unknown as Record<string, (v: unknown) => void>)[binding];
        report({ url: e.documentURI, directive: e.effectiveDirective || e.violatedDirective, blocked: e.blockedURI, sample: e.sample });
      },
      true,
    );
  }, BINDING);
  context.on('console', (message: ConsoleMessage) => {
    if (/content[- ]security[- ]policy/i.test(message.text()))
      add({ url: message.page()?.url() ?? message.location().url, directive: 'console', blocked: '', sample: message.text() });
  });
  return violations;
}

/** Leaves out the Temporal Web UI's own documents (another origin). */
export const isTemporalUi = (url: string) => {
  const ui = process.env.TEST_TEMPORAL_UI;
  try {
    return !!ui && new URL(url).origin === new URL(ui).origin;
  } catch {
    return false;
  }
};
