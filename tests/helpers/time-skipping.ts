/**
 * Temporal's time-skipping test server (tests/time-skipping/server.sh), as @temporalio/testing's
 * TestWorkflowEnvironment: durable timers and retry backoffs pass in an instant while a workflow's result is awaited.
 */
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { freePort } from './ports';
import { registeredSearchAttributes } from './search-attributes';

const SERVER = path.resolve(__dirname, '../time-skipping/server.sh');

export type TimeSkippingEnvironment = TestWorkflowEnvironment & { address: string };

export async function startTimeSkipping(): Promise<TimeSkippingEnvironment> {
  const port = await freePort();
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { port, executable: { type: 'existing-path', path: SERVER } } });
  // Handover's search attributes, as temporal-dev.sh registers them on the dev server (all keywords).
  const searchAttributes = Object.fromEntries(
    registeredSearchAttributes().map((sa) => [sa.split('=')[0], temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
  );
  await env.connection.operatorService.addSearchAttributes({ namespace: 'default', searchAttributes });
  return Object.assign(env, { address: `127.0.0.1:${port}` });
}
