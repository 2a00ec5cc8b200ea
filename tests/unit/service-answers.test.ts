/** What a job service answers, checked, normalised and bounded where it enters (activities/service-answers.ts). */
import { ApplicationFailure } from '@temporalio/common';
import { JobServiceClient } from '../../activities/job-client';
import { metadataActivities } from '../../activities/metadata';
import {
  LIMITS,
  MALFORMED_ANSWER,
  boundJson,
  boundedEvent,
  checked,
  clip,
  eventSubmitAnswer,
  failedChecks,
  healthcheckOutput,
  metadataOutput,
  pollAnswer,
  submitAnswer,
} from '../../activities/service-answers';
import { redactText } from '../../common/db-uri';
import { type HandoverProgress, detailsObject, withObjectDetails } from '../../vocabulary';

const size = (value: unknown) => JSON.stringify(value).length;

describe('clip', () => {
  test('a short text is kept as it is', () => {
    expect(clip('all good', 100)).toBe('all good');
  });

  test('a long text is cut, with a note of how long it was and how much is kept', () => {
    const out = clip('word '.repeat(500_000), 2000);
    expect(out).toMatch(/… \[clipped: 2,500,000 characters, kept 1,99\d\]$/);
    expect(out.length).toBeLessThan(2100);
  });

  test('a text without spaces is cut too (2 MB in one word)', () => {
    const out = clip('x'.repeat(2 * 1024 * 1024), 2000);
    expect(out).toMatch(/\[clipped: 2,097,152 characters, kept 1,800\]$/);
  });

  test.each([0, 3, 9, 14, 20])(
    'a cut never leaves part of a URI password for redaction to miss (cut %i characters into the password)',
    (into) => {
      const uri = 'mysql://admin:hunter2secretpassword@db.example.org:3306/homo_sapiens_core_110_38';
      const head = 'x'.repeat(1500 + 17 + into - 'mysql://admin:'.length);
      const text = `checked ${head} ${uri} and more`;
      const out = redactText(clip(text, 1500 + 17 + into + 'checked '.length + 1));
      expect(out).not.toMatch(/hunt|admin:h/);
    },
  );
});

describe('boundJson', () => {
  test('strings, lists, keys and depth are cut to the budget, with notes', () => {
    const hostile = {
      email: 'curator@example.org',
      comment: 'c'.repeat(1024 * 1024),
      current_database_list: Array.from({ length: 100_000 }, (_, i) => `db_${i}`),
      deep: { a: { b: { c: { d: { e: 'too deep' } } } } },
      ...Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, i])),
    };
    const out = boundJson(hostile, 6000) as Record<string, unknown>;
    expect(size(out)).toBeLessThan(7000);
    expect(out.email).toBe('curator@example.org');
    expect(out.comment).toMatch(/\[clipped: 1,048,576 characters/);
    expect((out.current_database_list as string[]).at(-1)).toMatch(/more items not kept/);
    expect(JSON.stringify(out.deep)).toContain('[nested too deep: not kept]');
    expect(out['…']).toMatch(/more keys not kept/);
  });
});

describe('details: an object, or a JSON string holding one', () => {
  test.each([
    ['an object', { email: 'a@b.org' }, { email: 'a@b.org' }],
    ['a JSON string of an object (Ensembl)', '{"email":"a@b.org","comment":"x"}', { email: 'a@b.org', comment: 'x' }],
    ['a string that is not JSON', 'just words', { text: 'just words' }],
    ['a JSON string of a list', '[1,2]', { text: '[1,2]' }],
    ['a number', 7, { text: '7' }],
  ])('%s', (_name, details, expected) => {
    expect(detailsObject(details)).toEqual(expected);
  });

  test('a recorded progress with string details (a handover from before the fix) answers objects', () => {
    const recorded = {
      token: 't',
      events: [{ type: 'new_assembly', genome: 'homo_sapiens', details: '{"email":"a@b.org"}' }],
    } as unknown as HandoverProgress;
    expect(withObjectDetails(recorded).events).toEqual([{ type: 'new_assembly', genome: 'homo_sapiens', details: { email: 'a@b.org' } }]);
  });

  test('a metadata answer as Ensembl writes it becomes Handover’s shape; a 1 MB genome is clipped', () => {
    const output = checked(
      metadataOutput,
      {
        events: [
          {
            type: 'new_assembly',
            genome: 'g'.repeat(1024 * 1024),
            source: 'Handover',
            details: JSON.stringify({ email: 'a@b.org', comment: 'c'.repeat(1024 * 1024) }),
          },
        ],
      },
      { service: 'metadata', request: 'GET /jobs/1' },
    );
    const [event] = output.events!.map(boundedEvent);
    expect(event.genome).toMatch(/\[clipped: 1,048,576 characters/);
    expect(event.details).toMatchObject({ email: 'a@b.org', comment: expect.stringMatching(/clipped/) });
    expect(size(event)).toBeLessThan(LIMITS.detailsChars + 1000);
  });
});

describe('a healthcheck report is bounded in counts and lengths', () => {
  test('100k failed checks with 2 MB messages: 50 kept, the rest counted, well under 100 KB', () => {
    const results = Object.fromEntries(
      Array.from({ length: 100_000 }, (_, i) => [
        `Check${i}`,
        { status: 'failed', messages: ['m'.repeat(i < 3 ? 2 * 1024 * 1024 : 10), 'b', 'c'] },
      ]),
    );
    const failures = failedChecks(
      checked(healthcheckOutput, { status: 'failed', results }, { service: 'healthcheck', request: 'GET /jobs/1' }).results,
    );
    expect(failures).toHaveLength(LIMITS.failedChecks + 1);
    expect(failures[0].messages[0]).toMatch(/\[clipped: 2,097,152 characters/);
    expect(failures.at(-1)).toEqual({ check: '[99,950 more failed checks not kept]', messages: [] });
    expect(size(failures)).toBeLessThan(50_000);
  });

  test('a check with 10k messages keeps 20 and counts the rest', () => {
    const [check] = failedChecks({ Big: { status: 'failed', messages: Array.from({ length: 10_000 }, (_, i) => `m${i}`) } });
    expect(check.messages).toHaveLength(LIMITS.messagesPerCheck + 1);
    expect(check.messages.at(-1)).toBe('[9,980 more messages not kept]');
  });
});

describe('a malformed answer is named: the field and the reason', () => {
  const where = { service: 'copy' as const, request: 'POST /jobs' };
  const why = (schema: Parameters<typeof checked>[0], answer: unknown) => {
    try {
      checked(schema, answer, where);
    } catch (err) {
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect((err as ApplicationFailure).type).toBe(MALFORMED_ANSWER);
      expect((err as ApplicationFailure).nonRetryable).toBe(true);
      return (err as Error).message;
    }
    throw new Error('accepted');
  };

  test.each([
    [{}, "the copy service's answer to POST /jobs has no job_id"],
    [{ job_id: null }, "the copy service's answer to POST /jobs has a bad job_id: is neither a number nor a text"],
    [{ job_id: '../../admin' }, 'has a bad job_id: is not a job id'],
    [{ job_id: 'x'.repeat(10_000) }, 'has a bad job_id: is longer than 128 characters'],
    [{ job_id: -1 }, 'has a bad job_id: must not be negative'],
    [{ job_id: 1.5 }, 'has a bad job_id: must be a whole number'],
    ['a text', 'is not a JSON object'],
  ])('submit %j', (answer, message) => {
    expect(why(submitAnswer, answer)).toContain(message);
  });

  test('the event service’s processes, and a poll’s status', () => {
    expect(why(eventSubmitAnswer, { event: {} })).toContain('has no processes');
    expect(why(eventSubmitAnswer, { processes: [{ process: 'dump/../x', job: 1 }] })).toContain(
      'has a bad processes.0.process: is not a process name',
    );
    expect(why(pollAnswer, { id: 1, status: 'exploded' })).toContain('has a bad status: Invalid option');
    expect(why(healthcheckOutput, { status: 'passed', results: { A: { status: 'failed', messages: [{}] } } })).toContain(
      'has a bad results.A.messages.0',
    );
    expect(why(metadataOutput, { events: Array.from({ length: 11 }, () => ({ type: 'a', genome: 'b' })) })).toContain(
      'lists more than 10 events',
    );
  });

  test('all accepted when well formed (numbers or texts as ids)', () => {
    expect(checked(submitAnswer, { job_id: 12 }, where)).toEqual({ job_id: 12 });
    expect(checked(submitAnswer, { job_id: 'a1b2-c3' }, where)).toEqual({ job_id: 'a1b2-c3' });
  });
});

describe('the client reads no answer past its limit, and checks what it reads', () => {
  /** A response streaming `bytes` bytes of JSON-ish text, counting how many were pulled. */
  function streamed(bytes: number) {
    const pulled = { bytes: 0 };
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled.bytes >= bytes) return controller.close();
        pulled.bytes += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    return { pulled, response: new Response(body, { status: 200, headers: { 'content-type': 'application/json' } }) };
  }
  const client = (fetchImpl: typeof fetch, name: 'metadata' | 'copy' = 'copy') =>
    new JobServiceClient({ name, baseUrl: 'http://svc.test', redact: (t) => redactText(t), fetchImpl });

  test('a 50 MB answer is not read whole: malformed, not retried', async () => {
    const { pulled, response } = streamed(50 * 1024 * 1024);
    const err = await client(() => Promise.resolve(response))
      .submit({}, { token: 'k', step: 'copy' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).message).toBe("the copy service's answer to POST /jobs is larger than 8 MiB (not read past that)");
    expect(pulled.bytes).toBeLessThan(LIMITS.answerBytes + 256 * 1024);
  });

  test('an answer that is not JSON, and one without job_id', async () => {
    await expect(
      client(() => Promise.resolve(new Response('<html>hi</html>', { status: 201 }))).submit({}, { token: 'k', step: 'copy' }),
    ).rejects.toThrow("the copy service's answer to POST /jobs is not JSON");
    await expect(
      client(() => Promise.resolve(Response.json({ id: 3 }, { status: 201 }))).submit({}, { token: 'k', step: 'copy' }),
    ).rejects.toThrow("the copy service's answer to POST /jobs has no job_id");
  });

  test('waitForMetadata: Ensembl’s string details become an object; the password in them is redacted', async () => {
    const details = JSON.stringify({ email: 'a@b.org', database_uri: 'mysql://u:s3cretpw@h:3306/db' });
    const answer = {
      id: 4,
      status: 'complete',
      output: { events: [{ type: 'new_assembly', genome: 'homo_sapiens', source: 'Handover', details }] },
    };
    const credentials = { reveal: () => '', redact: (t: string) => redactText(t) };
    const { events } = await metadataActivities(
      client(() => Promise.resolve(Response.json(answer)), 'metadata'),
      credentials,
    ).waitForMetadata({ service: 'metadata', id: '4', url: '' });
    expect(events).toEqual([
      {
        type: 'new_assembly',
        genome: 'homo_sapiens',
        source: 'Handover',
        details: { email: 'a@b.org', database_uri: 'mysql://u:***@h:3306/db' },
      },
    ]);
  });

  test('a complete job whose output is malformed fails with the field named, the job attached to be killed', async () => {
    const err = (await client(() => Promise.resolve(Response.json({ id: 4, status: 'complete', output: { events: 'none' } })), 'metadata')
      .outputWhenDone('4', metadataOutput)
      .catch((e: unknown) => e)) as ApplicationFailure;
    expect(err.message).toBe("the metadata service's answer to GET /jobs/4 has a bad output.events: expected array, received string");
    expect(err.details).toEqual([{ job: { service: 'metadata', id: '4', url: 'http://svc.test/jobs/4' } }]);
  });
});

test('events are redacted string by string, never as JSON text: an address or a password that is a key breaks nothing', async () => {
  const { redactedStrings } = await import('../../activities/service-answers');
  const redact = (t: string) => redactText(t, ['type', '":"']);
  const event = {
    type: 'new_assembly',
    genome: 'homo_sapiens',
    details: { contact: 'helpdesk@ensembl.org', url: 'mysql://u:pw@h/db', note: 'a type of "x":"y"' },
  };
  expect(redactedStrings(event, redact)).toEqual({
    type: 'new_assembly',
    genome: 'homo_sapiens',
    details: { contact: 'helpdesk@ensembl.org', url: 'mysql://u:***@h/db', note: 'a *** of "x***y"' },
  });
});

test('a clipped text never keeps a URI whose authority the cut left open (a password with @ in it)', () => {
  const text = `see mysql://u:p@ssw0rd-secret@host/db ${'x'.repeat(100)}`;
  const cut = clip(text, 'see mysql://u:p@ssw0rd-se'.length);
  expect(cut).not.toContain('ssw0rd');
  expect(cut).toContain('[clipped:');
});

test("events recorded in any shape are answered in Handover's: a null event, a number for a type, string details", async () => {
  const { withObjectDetails } = await import('../../vocabulary/events');
  const progress = { events: [null, { type: 1, genome: 'g', details: '{"a":1}' }, { type: 't', genome: null, source: 5 }] } as never;
  expect(withObjectDetails(progress).events).toEqual([
    { type: '1', genome: 'g', details: { a: 1 } },
    { type: 't', genome: '', source: '5' },
  ]);
});
