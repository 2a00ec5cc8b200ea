/**
 * The shared part of the MariaDB copy's transfer tests (mariadb-copy-snapshot.test.ts, mariadb-copy-tables.test.ts):
 * the source is a private MariaDB server (its root makes the limited user), started by each test file
 * (startCopySource); the target the suite's staging server.
 */
import { copyDatabase } from '../../services/copy/copy';
import { parseTargetRoots } from '../../services/copy/targets';
import { mariadbSettings, mariadbUri } from '../helpers/harness';
import { type MariaDb, startMariaDb } from '../helpers/mariadb';
import mysql from 'mysql2/promise';

let source: MariaDb;
export const staging = mariadbSettings('staging');
export const policy = { roots: parseTargetRoots(`mysql://${staging.host}:${staging.port}/`), protectedDirs: [] };

/** Starts this test file's source server. */
export async function startCopySource(): Promise<MariaDb> {
  source = await startMariaDb();
  return source;
}
export const stopCopySource = async () => source?.stop();

async function onStaging<T>(sql: string): Promise<T> {
  const conn = await mysql.createConnection({ host: staging.host, port: staging.port, user: staging.user, password: staging.password });
  try {
    return (await conn.query(sql))[0] as T;
  } finally {
    await conn.end();
  }
}

/** Rows and CHECKSUM TABLE of each table, and each definition: what a copy must reproduce. */
async function state(query: (sql: string) => Promise<unknown>, db: string, tables: string[]) {
  const out: Record<string, { rows: number; checksum: string; definition: string }> = {};
  for (const t of tables) {
    const [count] = (await query(`SELECT COUNT(*) AS n FROM \`${db}\`.\`${t}\``)) as Array<{ n: number }>;
    const [sum] = (await query(`CHECKSUM TABLE \`${db}\`.\`${t}\` EXTENDED`)) as Array<{ Checksum: number }>;
    const [def] = (await query(`SHOW CREATE TABLE \`${db}\`.\`${t}\``)) as Array<Record<string, string>>;
    out[t] = { rows: Number(count.n), checksum: String(sum.Checksum), definition: def['Create Table'] };
  }
  return out;
}
export const sourceState = (db: string, tables: string[]) => state((sql) => source.query(sql), db, tables);
export const stagingState = (db: string, tables: string[]) => state((sql) => onStaging(sql), db, tables);

export const copy = (db: string, uri: string, extra: Parameters<typeof copyDatabase>[1] = { policy }) =>
  copyDatabase({ source_db_uri: uri, target_db_uri: mariadbUri(staging, db), drop: true }, { ...extra, policy });
