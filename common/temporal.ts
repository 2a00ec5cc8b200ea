/** Connection settings for Temporal, shared by the API (client) and the worker (native connection). */
import { readFileSync } from 'node:fs';
import type { Config } from './config';

export function tlsFrom(config: Config) {
  if (!config.TEMPORAL_TLS_CERT && !config.TEMPORAL_TLS_CA) return undefined;
  return {
    serverRootCACertificate: config.TEMPORAL_TLS_CA ? readFileSync(config.TEMPORAL_TLS_CA) : undefined,
    clientCertPair: config.TEMPORAL_TLS_CERT && config.TEMPORAL_TLS_KEY ? { crt: readFileSync(config.TEMPORAL_TLS_CERT), key: readFileSync(config.TEMPORAL_TLS_KEY) } : undefined,
  };
}
