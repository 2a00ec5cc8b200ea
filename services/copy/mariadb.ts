/**
 * The MySQL/MariaDB copy: into a temporary schema (handover_tmp_<hash>) on the staging server, each table
 * made from a definition the copy writes itself from the source's catalogue (definition.ts: never the source's
 * `SHOW CREATE TABLE` text, never its views, triggers, routines or events); then the rows, from one consistent
 * snapshot of the source, several tables at once, loaded in bulk and verified (transfer.ts); then ONE `RENAME TABLE`
 * moves the target's tables into a backup schema (handover_old_<hash>) and the new ones into the target
 * (created if missing); the backup and temporary schemas are dropped. The source server may be the
 * submitter's own: nothing it answers reaches the staging server as code, its rows arrive as values (LOAD DATA),
 * and a server's error is reported by its code, never its text (server-error.ts). When a copy fails or is killed,
 * the loader's server connections are killed on the staging server before the temporary schema is dropped.
 */
import { createHash } from 'node:crypto';
import { dropDatabase } from '../db/database';
import { printable, quoteIdent } from '../db/names';
import { killSessionsIn, serverConnection } from '../db/server';
import type { MysqlLocation } from '../db/uri';
import type { CopyOptions } from './copy';
import { readCatalogue, stagingCollations } from './catalogue';
import { Refusal, createTableStatement } from './definition';
import type { Catalogue } from './definition-values';
import { reported } from './server-error';
import { transferRows } from './transfer';
import { type TablePlan, planTables } from './transfer-plan';

/** The copy's own schemas for a target: deterministic, so a crashed copy's leftovers are found and dropped by the next one. */
export function workSchemas(target: MysqlLocation): { temp: MysqlLocation; backup: MysqlLocation } {
  const hash = createHash('sha256').update(target.name).digest('hex').slice(0, 16);
  return { temp: { ...target, name: `handover_tmp_${hash}` }, backup: { ...target, name: `handover_old_${hash}` } };
}

export async function copyMysql(
  source: MysqlLocation,
  target: MysqlLocation,
  tables: string[],
  opts: CopyOptions,
): Promise<{ rows: Record<string, number>; snapshot: string }> {
  const q = (name: string) => quoteIdent('mysql', name);
  const { temp, backup } = workSchemas(target);
  await takeOverDrops(temp, backup);
  const conn = await serverConnection(target);
  try {
    await conn.query(`DROP DATABASE IF EXISTS ${q(temp.name)}`);
    await conn.query(`DROP DATABASE IF EXISTS ${q(backup.name)}`);
    await conn.query(`CREATE DATABASE ${q(temp.name)}`);
  } finally {
    await conn.end();
  }
  let copied: { rows: Record<string, number>; snapshot: string };
  try {
    await createTables(source, temp, tables, opts.signal);
    const plans = await plan(source, temp, tables);
    let done = 0;
    copied = await transferRows(source, temp, plans, {
      readers: opts.streams ?? 2,
      rangeBytes: opts.rangeBytes,
      afterSnapshot: opts.afterSnapshot,
      signal: opts.signal,
      onTable: () => opts.progress?.({ tables_done: ++done, tables: tables.length }),
    });
    // The point of no return: a kill before it leaves the target as it was; after it the copy is complete.
    opts.signal?.throwIfAborted();
    await swap(target, temp, backup);
  } catch (err) {
    // A killed loader client leaves its server connection running the statement it had sent (and holding
    // the table's locks, so DROP DATABASE would wait for it): those connections are killed first.
    await killSessionsIn(target, temp.name).catch(() => undefined);
    await Promise.all([dropSoon(temp), dropSoon(backup)]);
    throw err;
  }
  await dropDatabase(backup).catch(() => undefined);
  await dropDatabase(temp).catch(() => undefined);
  return copied;
}

/** How often, and how long, a work schema that could not be dropped (its server down) is tried again. */
const DROP_RETRY = { everyMs: 5000, forMs: 10 * 60_000 };
/** Work schemas being dropped in the background, by server and name: the next copy to them takes over first. */
const pendingDrops = new Map<string, { timer?: NodeJS.Timeout; inflight?: Promise<unknown> }>();
const schemaKey = (schema: MysqlLocation) => `${schema.host}:${schema.port}/${schema.name}`;

/**
 * Drops a work schema now; when its server cannot be reached (restarting, say) keeps trying in the background
 * for a while, so a failed copy leaves no partial rows on staging once the server is back. A later copy to the
 * same target stops these tries before it makes its own work schema of that name (takeOverDrops).
 */
async function dropSoon(schema: MysqlLocation): Promise<void> {
  if (
    await dropDatabase(schema).then(
      () => true,
      () => false,
    )
  )
    return;
  const key = schemaKey(schema);
  const giveUpAt = Date.now() + DROP_RETRY.forMs;
  const pending: { timer?: NodeJS.Timeout; inflight?: Promise<unknown> } = {};
  const retry = () => {
    pending.timer = undefined;
    pending.inflight = dropDatabase(schema).then(
      () => pendingDrops.delete(key),
      () => {
        pending.inflight = undefined;
        if (pendingDrops.get(key) !== pending) return; // taken over by a later copy
        if (Date.now() < giveUpAt) pending.timer = setTimeout(retry, DROP_RETRY.everyMs).unref();
        else {
          pendingDrops.delete(key);
          console.warn(
            `copy service: could not drop the work schema ${schema.name} on ${schema.host}:${schema.port}; the next copy to it will`,
          );
        }
      },
    );
  };
  pending.timer = setTimeout(retry, DROP_RETRY.everyMs).unref();
  pendingDrops.set(key, pending);
}

/** Stops the background drops of these schemas (waiting out one already sent): the caller drops them itself. */
async function takeOverDrops(...schemas: MysqlLocation[]): Promise<void> {
  for (const schema of schemas) {
    const pending = pendingDrops.get(schemaKey(schema));
    if (!pending) continue;
    pendingDrops.delete(schemaKey(schema));
    clearTimeout(pending.timer);
    await pending.inflight?.catch(() => undefined);
  }
}

/** One RENAME TABLE statement (atomic): the target's tables to the backup schema, the new ones to the target. */
async function swap(target: MysqlLocation, temp: MysqlLocation, backup: MysqlLocation): Promise<void> {
  const q = (name: string) => quoteIdent('mysql', name);
  const conn = await serverConnection(target);
  const tablesOf = async (schema: string, type: string) =>
    (
      (
        await conn.query('SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = ?', [
          schema,
          type,
        ])
      )[0] as Array<{ name: string }>
    ).map((r) => r.name);
  try {
    const [existing] = await conn.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [target.name]);
    const created = (existing as unknown[]).length === 0;
    if (created) await conn.query(`CREATE DATABASE ${q(target.name)}`);
    await conn.query(`CREATE DATABASE ${q(backup.name)}`);
    const old = await tablesOf(target.name, 'BASE TABLE');
    const fresh = await tablesOf(temp.name, 'BASE TABLE');
    const moves = [
      ...old.map((t) => `${q(target.name)}.${q(t)} TO ${q(backup.name)}.${q(t)}`),
      ...fresh.map((t) => `${q(temp.name)}.${q(t)} TO ${q(target.name)}.${q(t)}`),
    ];
    try {
      if (moves.length) await conn.query(`RENAME TABLE ${moves.join(', ')}`);
    } catch (err) {
      if (created) await conn.query(`DROP DATABASE IF EXISTS ${q(target.name)}`).catch(() => undefined);
      throw new Error(`could not swap the new copy into ${target.name} (the previous copy is unchanged): ${(err as Error).message}`);
    }
    // Views cannot move between schemas: the old copy's views go (the copy itself only makes tables).
    for (const view of await tablesOf(target.name, 'VIEW')) await conn.query(`DROP VIEW IF EXISTS ${q(target.name)}.${q(view)}`);
  } finally {
    await conn.end();
  }
}

/** Sessions that run the copy's table definitions: literals written with backslash escapes (no NO_BACKSLASH_ESCAPES, no ANSI_QUOTES). */
const DEFINITION_SESSION = ["SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'", 'SET SESSION foreign_key_checks = 0', 'SET NAMES utf8mb4'];

/**
 * Makes each table in the temporary schema from a definition the copy writes itself (definition.ts) from the
 * source's catalogue: every definition is written, or the copy refused naming the table and why, before the first
 * runs; each runs unqualified, on a connection whose default database is the temporary schema (one statement per query).
 */
async function createTables(source: MysqlLocation, temp: MysqlLocation, tables: string[], signal?: AbortSignal): Promise<void> {
  const src = await serverConnection(source, source.name);
  let catalogue: Catalogue;
  try {
    catalogue = await readCatalogue(src, source.name);
  } catch (err) {
    throw reported(err, 'source', `reading the catalogue of ${source.name}`);
  } finally {
    await src.end();
  }
  signal?.throwIfAborted();
  const tgt = await serverConnection(temp, temp.name);
  try {
    for (const statement of DEFINITION_SESSION) await tgt.query(statement);
    const collations = await stagingCollations(tgt);
    const statements = tables.map((table) => {
      try {
        return createTableStatement(table, source.name, catalogue, collations);
      } catch (err) {
        if (err instanceof Refusal) throw new Error(`the source's table ${printable(table)} cannot be copied: it ${err.message}`);
        throw err;
      }
    });
    for (const [i, statement] of statements.entries()) {
      signal?.throwIfAborted();
      try {
        await tgt.query(statement);
      } catch (err) {
        throw reported(err, 'staging', `creating table ${tables[i]}`);
      }
    }
  } finally {
    await tgt.end();
  }
}

/** What the transfer needs of each table: read from the temporary schema as made, with the source's sizes for planning. */
async function plan(source: MysqlLocation, temp: MysqlLocation, tables: string[]): Promise<TablePlan[]> {
  const src = await serverConnection(source);
  let sizes: Map<string, number>;
  try {
    const [rows] = await src.query(
      'SELECT TABLE_NAME AS name, DATA_LENGTH + INDEX_LENGTH AS size FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?',
      [source.name],
    );
    sizes = new Map((rows as Array<{ name: string; size: unknown }>).map((r) => [String(r.name), Number(r.size) || 0]));
  } finally {
    await src.end();
  }
  const staging = await serverConnection(temp);
  try {
    return await planTables(staging, temp.name, tables, sizes);
  } finally {
    await staging.end();
  }
}
