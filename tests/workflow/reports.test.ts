/**
 * Step reports: one per transition, in Ensembl's report shape, logged as JSON, readable from the API,
 * and published to a real RabbitMQ topic exchange with routing key report.<level>.
 */
import os from 'node:os';
import amqp, { type ChannelModel } from 'amqplib';
import type { HandoverReport } from '../../vocabulary';
import { type Harness, spec, startHarness } from '../helpers/harness';
import { type RabbitMq, startRabbitMq } from '../helpers/rabbitmq';
import { waitFor } from '../helpers/wait';

const EXCHANGE = 'ensembl_reports';
let rabbit: RabbitMq;
let consumer: ChannelModel;
let h: Harness;
const published: Array<{ routingKey: string; report: HandoverReport }> = [];

beforeAll(async () => {
  rabbit = await startRabbitMq();
  // An existing report consumer: its own queue, bound to every report level.
  consumer = await amqp.connect(rabbit.url);
  const channel = await consumer.createChannel();
  await channel.assertExchange(EXCHANGE, 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, EXCHANGE, 'report.*');
  await channel.consume(
    queue,
    (msg) => msg && published.push({ routingKey: msg.fields.routingKey, report: JSON.parse(msg.content.toString()) }),
    { noAck: true },
  );
  h = await startHarness({ HANDOVER_REPORT_AMQP_URL: rabbit.url, HANDOVER_REPORT_EXCHANGE: EXCHANGE });
}, 180_000);
afterAll(async () => {
  await h?.stop();
  await consumer?.close();
  await rabbit?.stop();
});

const reportsOf = async (token: string): Promise<HandoverReport[]> => {
  const res = await h.app.inject({ method: 'GET', url: `/handovers/${token}/reports` });
  expect(res.statusCode).toBe(200);
  return res.json().reports;
};
const publishedFor = (token: string) => published.filter((p) => p.report.params.handover_token === token);

test('a completed handover: a report per transition, in order, logged, readable and published as report.info', async () => {
  const { json } = await h.submit(spec(h.sqliteSource('reported_core_110_1')));
  await h.waitForStatus(json.token, 'completed');
  const reports = await reportsOf(json.token);
  expect(reports.map((r) => r.message)).toEqual([
    'Checking the source database',
    'Source database found',
    'Healthchecks in progress',
    'Healthchecks successful, starting copy',
    'Copying in progress',
    'Copying complete, submitting metadata job',
    'Loading into metadata database',
    'Metadata load complete, submitting events',
    'Submitting events for further processing',
    'Events submitted',
    expect.stringMatching(/^Handover successful: reported_core_110_1 is on staging at sqlite:/),
  ]);
  for (const report of reports) {
    expect(report).toMatchObject({ report_type: 'INFO', process: 'handover', host: os.hostname() });
    expect(report.report_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/);
    expect(report.params).toMatchObject({
      handover_token: json.token,
      database: 'reported_core_110_1',
      contact: 'curator@example.org',
      type: 'new_genebuild',
      update_type: 'new_genebuild',
      database_type: 'core',
    });
  }
  expect(reports.at(-1)!.params).toMatchObject({ status: 'completed', progress_complete: 5, progress_total: 5 });

  // The same reports went to the log, one JSON line each, and to the exchange, in the same order.
  expect(h.reportLines.filter((l) => l.params.handover_token === json.token).map(({ level, ...r }) => ({ ...r, level }))).toEqual(
    reports.map((r) => ({ ...r, level: 'info' })),
  );
  await waitFor(() => publishedFor(json.token).length === reports.length, 10_000, 'every report on the exchange');
  expect(publishedFor(json.token).map((p) => p.report)).toEqual(reports);
  expect(new Set(publishedFor(json.token).map((p) => p.routingKey))).toEqual(new Set(['report.info']));
});

test('a failed handover reports its failure as report.error, with the failing step and reason', async () => {
  h.jobs.reset();
  h.jobs.scripts.healthcheck.outcome = 'problems';
  const { json } = await h.submit(spec(h.sqliteSource('reported_bad_core_110_1')));
  await h.waitForStatus(json.token, 'failed');
  await waitFor(
    async () => publishedFor(json.token).length === (await reportsOf(json.token)).length,
    10_000,
    'every report on the exchange',
  );
  const errors = publishedFor(json.token)
    .filter((p) => p.routingKey === 'report.error')
    .map((p) => p.report);
  expect(errors.map((r) => [r.report_type, r.message])).toEqual([
    ['ERROR', expect.stringMatching(/^Healthchecks found problems, Handover failed: 1 check\(s\) found problems: /)],
    ['ERROR', expect.stringMatching(/^Handover failed at the healthcheck step: /)],
  ]);
  expect(errors.at(-1)!.params).toMatchObject({ status: 'failed', step: 'healthcheck' });
  expect(
    publishedFor(json.token)
      .filter((p) => p.routingKey === 'report.info')
      .map((p) => p.report.message),
  ).toEqual(['Checking the source database', 'Source database found', 'Healthchecks in progress']);
  // The broker's password is in the worker's configuration only.
  expect(JSON.stringify([published, h.reportLines, await reportsOf(json.token)])).not.toContain(rabbit.password);
});

test('a report of an unknown handover is a 404', async () => {
  const res = await h.app.inject({ method: 'GET', url: '/handovers/no-such-token/reports' });
  expect(res.statusCode).toBe(404);
});
