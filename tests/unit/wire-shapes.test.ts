/**
 * What crosses the wire as Temporal or a job service sees it, made and read in one place each: a HandoverFailed's
 * details (positions as recorded histories have them), a JobStillRunning's job progress, the lock memo, a
 * submission's idempotency key and callback, and each service's kill path.
 */
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { JobServiceClient, idempotencyKey } from '../../activities/job-client';
import { waitingActivityOf } from '../../common/callbacks';
import {
  type HandoverFailure,
  type HandoverProgress,
  type JobProgress,
  type ServiceName,
  failureTypes,
  handoverFailed,
  handoverFailedDetails,
  jobStillRunning,
  jobStillRunningProgress,
  lockHolder,
  lockMemo,
} from '../../vocabulary';

const failure: HandoverFailure = { step: 'copy', kind: 'error', reason: 'copy service refused' };
const progress = { token: 't-1', status: 'failed', step: 'copy' } as HandoverProgress;

test('a HandoverFailed carries [failure] or [failure, progress], as recorded histories do, and reads back as one object', () => {
  const inStep = handoverFailed('copy service refused', { failure });
  expect(inStep).toMatchObject({
    type: failureTypes.handoverFailed,
    nonRetryable: true,
    message: 'copy service refused',
    details: [failure],
  });
  expect(handoverFailedDetails(inStep)).toEqual({ failure });
  const atEnd = handoverFailed('copy: copy service refused', { failure, progress });
  expect(atEnd.details).toEqual([failure, progress]);
  expect(handoverFailedDetails(atEnd)).toEqual({ failure, progress });
  // A failure as an older worker wrote it reads the same.
  expect(handoverFailedDetails(ApplicationFailure.nonRetryable('x', 'HandoverFailed', failure, progress))).toEqual({ failure, progress });
  // Anything else carries no handover failure.
  expect(handoverFailedDetails(ApplicationFailure.nonRetryable('x', failureTypes.jobFailed, failure))).toBeUndefined();
  expect(handoverFailedDetails(new Error('x'))).toBeUndefined();
  expect(handoverFailedDetails(ApplicationFailure.nonRetryable('x', 'HandoverFailed'))).toBeUndefined();
});

test('a JobStillRunning is retryable and benign, and carries the job progress', () => {
  const job: JobProgress = { service: 'copy', id: '2', status: 'running', complete: 3, total: 12, unit: 'tables' };
  const err = jobStillRunning('copy job 2 is running (3 of 12 tables)', job);
  expect(err).toMatchObject({
    type: failureTypes.jobStillRunning,
    nonRetryable: false,
    category: ApplicationFailureCategory.BENIGN,
    details: [job],
  });
  expect(jobStillRunningProgress(err)).toEqual(job);
  expect(jobStillRunningProgress(new Error('copy service unreachable'))).toBeUndefined();
});

test('the lock memo names its holder; a memo without one names nobody', () => {
  expect(lockMemo('t-1')).toEqual({ token: 't-1' });
  expect(lockHolder(lockMemo('t-1'))).toBe('t-1');
  expect(lockHolder({})).toBe('');
  expect(lockHolder(undefined)).toBe('');
});

test('the waiting activity of a step comes from the one table', () => {
  expect(waitingActivityOf('copy')).toBe('waitForCopy');
  expect(waitingActivityOf('healthcheck')).toBe('waitForHealthcheck');
  expect(waitingActivityOf('event')).toBeUndefined();
  expect(waitingActivityOf('done')).toBeUndefined();
});

describe('a job client submits a structured submission and kills by the path its service names', () => {
  const calls: { method: string; url: string; key?: string; body?: Record<string, unknown> }[] = [];
  const fetchImpl = ((url: string, init: RequestInit) => {
    const headers = (init.headers ?? {}) as Record<string, string>;
    calls.push({
      method: init.method ?? 'GET',
      url,
      key: headers['Idempotency-Key'],
      body: init.body ? (JSON.parse(init.body as string) as Record<string, unknown>) : undefined,
    });
    return Promise.resolve(init.method === 'DELETE' ? new Response(null, { status: 204 }) : Response.json({ job_id: 7 }, { status: 201 }));
  }) as unknown as typeof fetch;
  const client = (name: ServiceName) =>
    new JobServiceClient({
      name,
      baseUrl: 'http://svc.test',
      redact: (t) => t,
      fetchImpl,
      callbackUrl: (s) => (s.step === 'event' ? undefined : `cb/${s.token}/${s.step}`),
    });
  beforeEach(() => (calls.length = 0));

  test('the idempotency key and the callback come from {token, step}', async () => {
    expect(idempotencyKey({ token: 't-1', step: 'copy' })).toBe('t-1:copy');
    expect(idempotencyKey({ token: 't-1', step: 'event', event: 2 })).toBe('t-1:event:2');
    await client('copy').submit({ a: 1 }, { token: 't-1', step: 'copy' });
    expect(calls).toEqual([{ method: 'POST', url: 'http://svc.test/jobs', key: 't-1:copy', body: { a: 1, callback_url: 'cb/t-1/copy' } }]);
  });

  test.each([
    ['healthcheck', '7', 'http://svc.test/jobs/7?kill=1'],
    ['copy', '7', 'http://svc.test/jobs/7?kill=1'],
    ['metadata', '7', 'http://svc.test/jobs/7?kill=1'],
    ['event', 'dump/7', 'http://svc.test/jobs/dump/7'],
  ] as const)('a %s job %s is killed at %s', async (name, id, url) => {
    await client(name).kill(id);
    expect(calls).toEqual([expect.objectContaining({ method: 'DELETE', url })]);
  });
});
