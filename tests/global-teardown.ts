import type { MariaDb } from './helpers/mariadb';
import type { TemporalServer } from './helpers/temporal-server';

export default async function globalTeardown(): Promise<void> {
  const servers = (globalThis as Record<string, unknown>).__handoverTestServers as { temporal: TemporalServer; mariadb: MariaDb; staging: MariaDb } | undefined;
  await Promise.all([servers?.temporal.stop(), servers?.mariadb.stop(), servers?.staging.stop()]);
}
