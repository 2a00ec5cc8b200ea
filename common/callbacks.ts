/**
 * Completion callbacks: a job submission carries `callback_url`, a URL of the API signed for one handover's
 * step. A job service that supports it calls the URL when the job ends; the API then asks Temporal to run the
 * step's waiting poll at once (the poll reads the job's real state: a callback only says "look now", so a
 * forged or repeated one can do no more than an early poll). Services that ignore the field are polled as before.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { HandoverActivities } from '../vocabulary';

/** The steps that wait for their job, and the activity that polls it (the one the API restarts). */
export const WAITING_ACTIVITY = {
  healthcheck: 'waitForHealthcheck',
  copy: 'waitForCopy',
  metadata: 'waitForMetadata',
} as const satisfies Record<string, keyof HandoverActivities>;
export type WaitingStep = keyof typeof WAITING_ACTIVITY;
export const WAITING_STEPS = Object.keys(WAITING_ACTIVITY) as WaitingStep[];
/** The activity a step waits in for its job (undefined for a step that waits for none). */
export const waitingActivityOf = (step: string): (typeof WAITING_ACTIVITY)[WaitingStep] | undefined =>
  (WAITING_STEPS as string[]).includes(step) ? WAITING_ACTIVITY[step as WaitingStep] : undefined;

/** The signature of (token, step), keyed by HANDOVER_SECRET_KEY (the API and every worker share it). */
export function callbackSignature(secretKey: string, token: string, step: WaitingStep): string {
  return createHmac('sha256', secretKey).update(`handover-callback\0${token}\0${step}`).digest('base64url');
}

export function callbackUrl(base: string, secretKey: string, token: string, step: WaitingStep): string {
  return `${base.replace(/\/+$/, '')}/callbacks/${encodeURIComponent(token)}/${step}?sig=${callbackSignature(secretKey, token, step)}`;
}

/** Whether `sig` is the signature of (token, step); constant time. */
export function validCallback(secretKey: string, token: string, step: WaitingStep, sig: string): boolean {
  const expected = Buffer.from(callbackSignature(secretKey, token, step));
  const given = Buffer.from(sig);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A URL as the logs may show it: a callback's signature replaced by *** (it lets its holder ask for a poll). */
export function withoutSignature(url: string): string {
  return url.replace(/([?&]sig=)[^&#]*/g, '$1***');
}
