/**
 * The `dump` process: every table of the database to a TSV file under the dumps folder, plus CHECKSUMS.
 * The folder is resolveUnder(dumpsDir, identifier(database name)) and each file
 * resolveUnder(folder, identifier(table) + '.tsv'): nothing outside dumpsDir is ever written or removed.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { openDatabase } from '../db/database';
import { identifier, isWithin, quoteIdent, resolveUnder } from '../db/names';
import { locate } from '../db/uri';

/** A column value as the drivers give it: node:sqlite's numbers, bigints, strings and BLOBs (Uint8Array); mysql2's Dates and Buffers too. */
type Value = string | number | bigint | Date | Uint8Array | null;

const cell = (v: Value | undefined) => (v === null || v === undefined ? '\\N' : String(v).replace(/[\t\n\r\\]/g, (c) => ({ '\t': '\\t', '\n': '\\n', '\r': '\\r', '\\': '\\\\' })[c]!));

export async function dumpDatabase(uri: string, dumpsDir: string, signal?: AbortSignal) {
  const location = locate(uri);
  const folder = resolveUnder(dumpsDir, identifier(location.name, 'database name'));
  const db = await openDatabase(location);
  const files: string[] = [];
  try {
    // Every name is checked before anything is removed: a refused dump leaves the previous one in place.
    const tables = (await db.tables()).map((t) => identifier(t, 'table name'));
    mkdirSync(dumpsDir, { recursive: true, mode: 0o700 });
    rmSync(folder, { recursive: true, force: true }); // a symbolic link is removed, never followed
    mkdirSync(folder, { mode: 0o700 });
    if (!isWithin(realpathSync(dumpsDir), realpathSync(folder))) throw new Error(`the dump folder of ${location.name} is not inside ${dumpsDir}`);
    for (const table of tables) {
      signal?.throwIfAborted();
      const rows = await db.select<Record<string, Value>>(`SELECT * FROM ${quoteIdent(location.engine, table)}`);
      const columns = rows.length ? Object.keys(rows[0]) : [];
      const lines = [columns.map(cell).join('\t'), ...rows.map((r) => columns.map((c) => cell(r[c])).join('\t'))];
      writeFileSync(resolveUnder(folder, `${table}.tsv`), lines.join('\n') + '\n');
      files.push(`${table}.tsv`);
    }
  } finally {
    await db.close();
  }
  const sums = files.map(
    (f) =>
      `${createHash('sha256')
        .update(readFileSync(resolveUnder(folder, f)))
        .digest('hex')}  ${f}`,
  );
  writeFileSync(resolveUnder(folder, 'CHECKSUMS'), sums.join('\n') + '\n');
  return { folder, files: [...files, 'CHECKSUMS'] };
}
