/**
 * Makes an Ensembl-like database to hand over: a meta table and related seq_region, gene, transcript,
 * exon and exon_transcript tables with thousands of rows, on SQLite or MySQL/MariaDB.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { dropDatabase } from './db/database';
import { serverConnection } from './db/server';
import { quoteIdent } from './db/names';
import { locate } from './db/uri';

export interface DemoOptions {
  genes?: number;
  /** Meta rows to leave out (to make a database that fails a check). */
  omitMeta?: string[];
  /** Adds transcripts whose gene does not exist. */
  orphanTranscripts?: number;
  genebuild?: string;
  assembly?: string;
}

const SCHEMA = [
  'CREATE TABLE meta (meta_id INTEGER PRIMARY KEY, species_id INTEGER, meta_key VARCHAR(64) NOT NULL, meta_value VARCHAR(255) NOT NULL)',
  'CREATE TABLE seq_region (seq_region_id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL, length INTEGER NOT NULL)',
  'CREATE TABLE gene (gene_id INTEGER PRIMARY KEY, seq_region_id INTEGER NOT NULL, seq_region_start INTEGER NOT NULL, ' +
    'seq_region_end INTEGER NOT NULL, biotype VARCHAR(40) NOT NULL, stable_id VARCHAR(128) NOT NULL)',
  'CREATE TABLE transcript (transcript_id INTEGER PRIMARY KEY, gene_id INTEGER, seq_region_id INTEGER NOT NULL, ' +
    'seq_region_start INTEGER NOT NULL, seq_region_end INTEGER NOT NULL, stable_id VARCHAR(128) NOT NULL)',
  'CREATE TABLE exon (exon_id INTEGER PRIMARY KEY, seq_region_id INTEGER NOT NULL, seq_region_start INTEGER NOT NULL, ' +
    'seq_region_end INTEGER NOT NULL, phase INTEGER NOT NULL, stable_id VARCHAR(128) NOT NULL)',
  'CREATE TABLE exon_transcript (exon_id INTEGER NOT NULL, transcript_id INTEGER NOT NULL, rank INTEGER NOT NULL, PRIMARY KEY (exon_id, ' +
    'transcript_id, rank))',
];

/** The rows of each table, generated deterministically. */
function* rows(name: string, o: Required<Omit<DemoOptions, 'omitMeta'>> & { omitMeta: string[] }): Generator<[string, unknown[]]> {
  const species = name.replace(/_(core|rnaseq|cdna|otherfeatures|variation|funcgen)_\d+_\w+$/, '');
  const release = /_(\d+)_\w+$/.exec(name)?.[1] ?? '110';
  const meta: Array<[number | null, string, string]> = [
    [null, 'schema_version', release],
    [null, 'schema_type', 'core'],
    [1, 'species.production_name', species],
    [1, 'assembly.default', o.assembly],
    [1, 'genebuild.last_geneset_update', o.genebuild],
  ];
  for (const [i, [sp, k, v]] of meta.filter(([, k]) => !o.omitMeta.includes(k)).entries()) yield ['meta', [i + 1, sp, k, v]];
  for (let s = 1; s <= 25; s++) yield ['seq_region', [s, String(s), 50_000_000 + s * 1000]];
  let exonId = 0;
  for (let g = 1; g <= o.genes; g++) {
    const region = (g % 25) + 1;
    const start = g * 1000;
    yield ['gene', [g, region, start, start + 900, g % 7 ? 'protein_coding' : 'lncRNA', `ENSG${String(g).padStart(11, '0')}`]];
    yield ['transcript', [g, g, region, start, start + 900, `ENST${String(g).padStart(11, '0')}`]];
    for (let e = 1; e <= 3; e++) {
      exonId++;
      yield ['exon', [exonId, region, start + e * 200, start + e * 200 + 100, e % 3, `ENSE${String(exonId).padStart(11, '0')}`]];
      yield ['exon_transcript', [exonId, g, e]];
    }
  }
  for (let t = 1; t <= o.orphanTranscripts; t++) yield ['transcript', [o.genes + t, o.genes * 10 + t, 1, 1, 2, `ENST_ORPHAN${t}`]];
}

/** Creates (replacing) the demo database at `uri`; returns its row counts per table. */
export async function createDemoDatabase(uri: string, options: DemoOptions = {}): Promise<Record<string, number>> {
  const o = { genes: 2000, omitMeta: [], orphanTranscripts: 0, genebuild: '2026-01', assembly: 'GRCh38', ...options };
  const location = locate(uri);
  await dropDatabase(uri);
  const batches = new Map<string, unknown[][]>();
  for (const [table, row] of rows(location.name, o)) {
    if (!batches.has(table)) batches.set(table, []);
    batches.get(table)!.push(row);
  }
  const counts = Object.fromEntries([...batches].map(([t, r]) => [t, r.length]));

  if (location.engine === 'sqlite') {
    mkdirSync(path.dirname(location.file), { recursive: true });
    const db = new DatabaseSync(location.file);
    try {
      db.exec('BEGIN');
      for (const ddl of SCHEMA) db.exec(ddl);
      for (const [table, list] of batches) {
        const insert = db.prepare(`INSERT INTO ${quoteIdent('sqlite', table)} VALUES (${list[0].map(() => '?').join(', ')})`);
        for (const row of list) insert.run(...(row as Array<string | number | null>));
      }
      db.exec('COMMIT');
    } finally {
      db.close();
    }
    return counts;
  }

  const conn = await serverConnection(location);
  try {
    await conn.query(`CREATE DATABASE ${quoteIdent('mysql', location.name)}`);
    await conn.changeUser({ database: location.name });
    for (const ddl of SCHEMA) await conn.query(`${ddl} ENGINE=InnoDB`);
    for (const [table, list] of batches) {
      for (let i = 0; i < list.length; i += 1000)
        await conn.query(`INSERT INTO ${quoteIdent('mysql', table)} VALUES ?`, [list.slice(i, i + 1000)]);
    }
  } finally {
    await conn.end();
  }
  return counts;
}
