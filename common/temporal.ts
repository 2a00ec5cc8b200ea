/** Connection settings for Temporal, shared by the API (client) and the worker (native connection). */
import { readFileSync } from 'node:fs';
import type { Config } from './config';

type TemporalSettings = Pick<Config, 'TEMPORAL_TLS_CERT' | 'TEMPORAL_TLS_KEY' | 'TEMPORAL_TLS_CA' | 'TEMPORAL_API_KEY'>;

/** mTLS from certificate files, or plain TLS for an API key (a key is never sent in the clear). */
export function tlsFrom(config: Partial<TemporalSettings>) {
  if (!config.TEMPORAL_TLS_CERT && !config.TEMPORAL_TLS_CA) return config.TEMPORAL_API_KEY ? true : undefined;
  return {
    serverRootCACertificate: config.TEMPORAL_TLS_CA ? readFileSync(config.TEMPORAL_TLS_CA) : undefined,
    clientCertPair:
      config.TEMPORAL_TLS_CERT && config.TEMPORAL_TLS_KEY
        ? { crt: readFileSync(config.TEMPORAL_TLS_CERT), key: readFileSync(config.TEMPORAL_TLS_KEY) }
        : undefined,
  };
}

/** What both connections take: TLS and, for clusters that use them, the API key. */
export function connectionSecurity(config: Partial<TemporalSettings>) {
  return { tls: tlsFrom(config), ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}) };
}
