/** The API's Temporal client: lazy (the API starts while Temporal is down) and quick to give up (503, not a hang). */
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import type { Config } from '../common/config';
import { connectionSecurity } from '../common/temporal';

export function apiClient(config: Pick<Config, 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE'> & Partial<Config>): Client {
  const connection = Connection.lazy({
    address: config.TEMPORAL_ADDRESS,
    ...connectionSecurity(config),
    connectTimeout: 2_000,
    // A few quick retries ride out a blip; past that the caller gets a 503 in a couple of seconds.
    interceptors: [
      makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 3, initialIntervalMs: () => 100, maxIntervalMs: () => 500 })),
    ],
  });
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
}
