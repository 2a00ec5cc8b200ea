/**
 * Real integrity checks, each reporting its messages. Groups: integrity (the database opens, every
 * table passes the engine's own check), meta (required keys), schema (the tables and columns the
 * configured rules name exist), content (required tables not empty), relations (no orphan rows:
 * declared foreign keys, and the configured ones for Ensembl-style schemas).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../db/database';
import type { Database, ForeignKey } from '../db/database-interface';
import { identifier, isIdentifier } from '../db/names';
import { type DbLocation, locate } from '../db/uri';
import { metaValues, nameMetaProblems } from '../metadata/names';

export interface CheckResult {
  status: 'passed' | 'failed';
  messages: string[];
}

interface SchemaRules {
  required_tables: string[];
  relations: string[];
}

interface Check {
  name: string;
  group: 'integrity' | 'meta' | 'schema' | 'content' | 'relations';
  run(db: Database, rules: SchemaRules, name: string): Promise<string[]>;
}

export const REQUIRED_META_KEYS = ['schema_version', 'species.production_name'];

const CHECKS: Check[] = [
  {
    name: 'TableIntegrity',
    group: 'integrity',
    async run(db) {
      const problems: string[] = [];
      for (const table of await db.tables()) {
        // A table name that is not an identifier is a problem found; the name is never used.
        const bad = nameProblem(table, 'table name');
        if (bad) problems.push(bad);
        else for (const p of await db.checkTable(table)) problems.push(`${table}: ${p}`);
      }
      return problems;
    },
  },
  {
    name: 'MetaKeys',
    group: 'meta',
    async run(db) {
      if (!(await db.tables()).includes('meta')) return ['there is no meta table'];
      const rows = await db.select<{ meta_key: string; meta_value: string }>('SELECT meta_key, meta_value FROM meta');
      return REQUIRED_META_KEYS.filter((key) => !rows.some((r) => r.meta_key === key && String(r.meta_value ?? '').trim())).map(
        (key) => `meta key ${key} is missing`,
      );
    },
  },
  {
    // The name decides what the metadata store records and retires: meta must not claim another species or type.
    name: 'NameMatchesMeta',
    group: 'meta',
    async run(db, _rules, name) {
      if (!(await db.tables()).includes('meta')) return []; // MetaKeys reports it
      const rows = await db.select<{ meta_key: string; meta_value: string }>(
        "SELECT meta_key, meta_value FROM meta WHERE meta_key IN ('species.production_name', 'schema_type')",
      );
      return nameMetaProblems(name, metaValues(rows));
    },
  },
  {
    // A schema defect is a problem found, not a crash: the other checks (ForeignKeys skipping what is missing) still run.
    name: 'SchemaMatches',
    group: 'schema',
    async run(db, rules) {
      const schema = schemaOf(db);
      const problems = new Set<string>(); // one message per missing thing, however many rules name it
      for (const table of rules.required_tables) if (!(await schema.hasTable(table))) problems.add(`table ${table} is missing`);
      for (const fk of rules.relations.map(parseRelation)) for (const gap of await relationGaps(schema, fk)) problems.add(gap);
      return [...problems];
    },
  },
  {
    name: 'RequiredTablesNotEmpty',
    group: 'content',
    async run(db, rules) {
      const tables = await db.tables();
      const problems: string[] = [];
      for (const table of rules.required_tables) {
        if (!tables.includes(table)) problems.push(`table ${table} is missing`);
        else if ((await db.count(table)) === 0) problems.push(`table ${table} is empty`);
      }
      return problems;
    },
  },
  {
    name: 'ForeignKeys',
    group: 'relations',
    async run(db, rules) {
      // Configured relations naming a table or column the database lacks are SchemaMatches' to report; their SQL would fail here.
      const schema = schemaOf(db);
      const configured: ForeignKey[] = [];
      for (const fk of rules.relations.map(parseRelation)) if ((await relationGaps(schema, fk)).length === 0) configured.push(fk);
      const problems: string[] = [];
      for (const fk of [...(await db.declaredForeignKeys()), ...configured]) {
        const bad = [fk.table, fk.column, fk.refTable, fk.refColumn].map((n) => nameProblem(n, 'name')).find(Boolean);
        if (bad) {
          problems.push(`a foreign key of ${isIdentifier(fk.table) ? fk.table : 'a table'} is not checked: ${bad}`);
          continue;
        }
        const orphans = await db.orphans(fk);
        if (orphans > 0) problems.push(`${orphans} row(s) of ${fk.table}.${fk.column} point to no ${fk.refTable}.${fk.refColumn}`);
      }
      return problems;
    },
  },
];

export const CHECK_NAMES = ['DatabaseOpens', ...CHECKS.map((c) => c.name)];
export const CHECK_GROUPS = [...new Set(CHECKS.map((c) => c.group))];

/** What is wrong with a name read from the database, or undefined when it is an identifier. */
function nameProblem(name: string, what: string): string | undefined {
  try {
    identifier(name, what);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** The database's tables and columns, each looked up once. */
function schemaOf(db: Database) {
  let tables: Promise<string[]> | undefined;
  const columns = new Map<string, Promise<string[]>>();
  return {
    async hasTable(table: string) {
      return (await (tables ??= db.tables())).includes(table);
    },
    async hasColumn(table: string, column: string) {
      if (!columns.has(table)) columns.set(table, db.columns(table));
      // Column names are case-insensitive in both MySQL and SQLite.
      return (await columns.get(table)!).some((c) => c.toLowerCase() === column.toLowerCase());
    },
  };
}

/** What a relation names that the database lacks, either side: the table, or else its column. */
async function relationGaps(schema: ReturnType<typeof schemaOf>, fk: ForeignKey): Promise<string[]> {
  const gaps: string[] = [];
  for (const [table, column] of [
    [fk.table, fk.column],
    [fk.refTable, fk.refColumn],
  ]) {
    if (!(await schema.hasTable(table))) gaps.push(`table ${table} is missing`);
    else if (!(await schema.hasColumn(table, column))) gaps.push(`${table}.${column} is missing`);
  }
  return gaps;
}

function parseRelation(text: string): ForeignKey {
  const m = /^(\w+)\.(\w+)\s*->\s*(\w+)\.(\w+)$/.exec(text.trim());
  if (!m) throw new Error(`bad relation "${text}" (expected table.column -> table.column)`);
  return { table: m[1], column: m[2], refTable: m[3], refColumn: m[4] };
}

/** Ensembl-style names give the schema type: homo_sapiens_core_110_38 is core, ensembl_compara_110 is compara. */
export function schemaType(databaseName: string): string {
  const m = /^[a-z0-9]+_[a-z0-9]+(?:_[a-z0-9]+)?_(core|rnaseq|cdna|otherfeatures|variation|funcgen)_\d+_\w+$/.exec(databaseName);
  if (m) return m[1];
  if (/^ensembl_compara_\d+$/.test(databaseName)) return 'compara';
  if (/^ensembl_ancestral_\d+$/.test(databaseName)) return 'ancestral';
  return 'default';
}

function rulesFor(type: string, file: string): SchemaRules {
  const all = JSON.parse(readFileSync(file, 'utf8')) as Record<string, SchemaRules>;
  return all[type] ?? all.default;
}

export interface HealthcheckInput {
  db_uri: string;
  hc_groups?: string[];
  hc_names?: string[];
}

export async function runHealthchecks(
  input: HealthcheckInput,
  opts: { schemasFile?: string; signal?: AbortSignal; checkSource?: (uri: string) => Promise<DbLocation> } = {},
) {
  // Checked again as the job runs (the source roots, copy/targets.ts checkSource); what was checked is what is opened.
  const location = (await opts.checkSource?.(input.db_uri)) ?? locate(input.db_uri);
  const rules = rulesFor(schemaType(location.name), opts.schemasFile ?? path.join(__dirname, 'schemas.json'));
  const selected = CHECKS.filter(
    (c) => (!input.hc_groups?.length || input.hc_groups.includes(c.group)) && (!input.hc_names?.length || input.hc_names.includes(c.name)),
  );
  const results: Record<string, CheckResult> = {};
  let db: Database | undefined;
  try {
    // The job's signal reaches the database: a kill stops the statement running (MariaDB: on the server too).
    db = await openDatabase(location, { signal: opts.signal });
    await db.tables();
    results.DatabaseOpens = { status: 'passed', messages: [] };
  } catch (err) {
    await db?.close().catch(() => undefined);
    if (opts.signal?.aborted) throw err; // a kill, not a database that does not open
    results.DatabaseOpens = { status: 'failed', messages: [(err as Error).message] };
    return { db_name: location.name, status: 'failed' as const, results };
  }
  try {
    for (const check of selected) {
      opts.signal?.throwIfAborted();
      try {
        const messages = await check.run(db, rules, location.name);
        opts.signal?.throwIfAborted(); // what a check reports after a kill is not a finding (a killed CHECK TABLE says "Corrupt")
        results[check.name] = { status: messages.length ? 'failed' : 'passed', messages };
      } catch (err) {
        // A check that throws has failed, not the healthchecks: record why and run the rest. A kill still ends the job.
        if (opts.signal?.aborted) throw err;
        results[check.name] = { status: 'failed', messages: [err instanceof Error ? err.message : String(err)] };
      }
    }
  } finally {
    await db.close();
  }
  const failed = Object.values(results).some((r) => r.status === 'failed');
  return { db_name: location.name, status: failed ? ('failed' as const) : ('passed' as const), results };
}
