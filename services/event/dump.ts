/** The `dump` process: every table of the database to a TSV file under the dumps folder, plus CHECKSUMS. */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../db/database';
import { locate } from '../db/uri';

const cell = (v: unknown) => (v === null || v === undefined ? '\\N' : String(v).replace(/[\t\n\\]/g, (c) => ({ '\t': '\\t', '\n': '\\n', '\\': '\\\\' })[c]!));

export async function dumpDatabase(uri: string, dumpsDir: string, signal?: AbortSignal) {
  const name = locate(uri).name;
  const folder = path.join(dumpsDir, name);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  const db = await openDatabase(uri);
  const files: string[] = [];
  try {
    for (const table of await db.tables()) {
      signal?.throwIfAborted();
      const rows = await db.select(`SELECT * FROM ${locate(uri).engine === 'mysql' ? `\`${table}\`` : `"${table}"`}`);
      const columns = rows.length ? Object.keys(rows[0]) : [];
      const lines = [columns.join('\t'), ...rows.map((r) => columns.map((c) => cell(r[c])).join('\t'))];
      writeFileSync(path.join(folder, `${table}.tsv`), lines.join('\n') + '\n');
      files.push(`${table}.tsv`);
    }
  } finally {
    await db.close();
  }
  const sums = files.map((f) => `${createHash('sha256').update(readFileSync(path.join(folder, f))).digest('hex')}  ${f}`);
  writeFileSync(path.join(folder, 'CHECKSUMS'), sums.join('\n') + '\n');
  return { folder, files: [...files, 'CHECKSUMS'] };
}
