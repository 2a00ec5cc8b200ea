/**
 * The local stack against the attacks of the "aim it anywhere else" issue: names are data, never code, and a source
 * server of the submitter's own runs nothing on staging. The scene, the canary digest and the attack tally are
 * tests/security/stack-harness.ts's: the canary is checksummed before the attacks and again at the end, and must not
 * have changed; the tally is printed at the end.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { serverConnection } from '../../services/db/server';
import { identifier, quoteIdent, resolveUnder } from '../../services/db/names';
import { locate } from '../../services/db/uri';
import { type MariaDbSettings } from '../helpers/harness';
import { waitFor } from '../helpers/wait';
import {
  attack,
  attacks,
  canaryBefore,
  canaryDigest,
  startScene,
  stopScene,
  HOSTILE,
  call,
  copied,
  elsewhere,
  failure,
  finished,
  post,
  q,
  schemasLike,
  sha,
  source,
  sourceUri,
  sql,
  sqliteUri,
  stack,
  staging,
  stagingDir,
  stagingUri,
  tableDigest,
  upstream,
} from './stack-harness';

beforeAll(() => startScene(), 180_000);
// The staging copy the hostile-name copies must leave exactly as it is.
beforeAll(() =>
  copied(
    sqliteUri(path.join(upstream, 'homo_sapiens_core_110_1.sqlite')),
    sqliteUri(path.join(stagingDir, 'homo_sapiens_core_110_1.sqlite')),
  ),
);
afterAll(stopScene);

// ------------------------------------------------------------------ 2. names are data

describe('names are data, never code', () => {
  test('names module: identifier, quoteIdent, resolveUnder', () => {
    expect(identifier('homo_sapiens_core_110_38', 'database name')).toBe('homo_sapiens_core_110_38');
    expect(() => identifier('x; DROP', 'table name')).toThrow('table name `x; DROP` is not an identifier: letters, digits and _ only');
    expect(() => identifier('', 'table name')).toThrow(/not an identifier/);
    expect(quoteIdent('sqlite', 'a"b')).toBe('"a""b"');
    expect(quoteIdent('mysql', 'a`b')).toBe('`a``b`');
    expect(() => quoteIdent('mysql', 'a\0b')).toThrow(/cannot be quoted/);
    expect(resolveUnder('/d/dumps', 'x_core_1')).toBe('/d/dumps/x_core_1');
    for (const bad of ['..', '../x', '/etc', '', '.', 'a/../..', 'a\0']) expect(() => resolveUnder('/d/dumps', bad)).toThrow();
  });

  test('multipleStatements is off for every mysql2 connection', async () => {
    await attack('two statements in one query', async () => {
      const conn = await serverConnection(locate(stagingUri('canary_keep')) as never);
      try {
        await expect(conn.query('SELECT 1; DROP DATABASE canary_keep')).rejects.toThrow(/SQL syntax/);
      } finally {
        await conn.end();
      }
      expect(await schemasLike(staging, 'canary_keep')).toEqual(['canary_keep']);
    });
  });

  test.each(HOSTILE.map((n, i) => [JSON.stringify(n), i] as const))(
    'SQLite source table named %s: the copy refuses, nothing runs, the staging copy stays',
    async (shown, i) => {
      await attack(`SQLite table name ${shown}`, async () => {
        const target = path.join(stagingDir, 'homo_sapiens_core_110_1.sqlite');
        const before = sha(target);
        const res = await post('copy', {
          source_db_uri: sqliteUri(path.join(upstream, `hostile_${i}.sqlite`)),
          target_db_uri: sqliteUri(target),
          drop: true,
        });
        expect(res.status).toBe(201);
        expect(await finished('copy', res.json.job_id)).toMatchObject({ status: 'failed' });
        expect(await failure('copy', res.json.job_id)).toMatch(/^table name `.*` is not an identifier: letters, digits and _ only$/s);
        expect(sha(target)).toBe(before);
        expect(readdirSync(stagingDir).filter((f) => f.endsWith('.copying'))).toEqual([]);
      });
    },
  );

  test.each(HOSTILE.map((n, i) => [JSON.stringify(n), i] as const))(
    'MariaDB source table named %s: the copy refuses, nothing runs, no schema is made',
    async (shown, i) => {
      await attack(`MariaDB table name ${shown}`, async () => {
        const res = await post('copy', {
          source_db_uri: sourceUri(`hostile_m${i}`),
          target_db_uri: stagingUri(`hostile_m${i}`),
          drop: true,
        });
        expect(res.status).toBe(201);
        expect(await finished('copy', res.json.job_id)).toMatchObject({ status: 'failed' });
        expect(await failure('copy', res.json.job_id)).toMatch(/^table name `.*` is not an identifier: letters, digits and _ only$/s);
        expect(await schemasLike(staging, `hostile_m${i}`)).toEqual([]);
        expect(await schemasLike(staging, 'handover\\_%')).toEqual([]);
        expect(await tableDigest(source, `hostile_m${i}`)).toMatchObject({ canary: [expect.any(Number), 1] });
      });
    },
  );

  test('a source whose stored schema SQL carries a second statement: copied faithfully, the second statement never runs', async () => {
    await attack('schema SQL with an ATTACH and DROP appended', async () => {
      const target = path.join(stagingDir, 'crafted_core_110_1.sqlite');
      const res = await post('copy', {
        source_db_uri: sqliteUri(path.join(upstream, 'crafted_core_110_1.sqlite')),
        target_db_uri: sqliteUri(target),
      });
      expect(await finished('copy', res.json.job_id)).toMatchObject({ status: 'complete', output: { tables: { t: 2 } } });
      const db = new DatabaseSync(target, { readOnly: true });
      try {
        expect(
          db
            .prepare('SELECT a, b FROM t ORDER BY a')
            .all()
            .map((r) => ({ ...r })),
        ).toEqual([
          { a: 1, b: 2 },
          { a: 3, b: 4 },
        ]);
        expect(
          (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all() as Array<{ name: string }>).map((r) => r.name),
        ).toEqual(['t_a']);
      } finally {
        db.close();
      }
      const canary = new DatabaseSync(path.join(elsewhere, 'canary.sqlite'), { readOnly: true });
      try {
        expect(canary.prepare('SELECT count(*) AS n FROM canary').get()).toMatchObject({ n: 2 });
      } finally {
        canary.close();
      }
    });
  });

  test('the healthcheck reports a hostile table name as a failed check, and never uses it', async () => {
    for (const [uri, what] of [
      [sqliteUri(path.join(upstream, 'hostile_0.sqlite')), 'SQLite'],
      [sourceUri('hostile_m1'), 'MariaDB'],
    ] as const) {
      await attack(`healthcheck of a ${what} database with a hostile table name`, async () => {
        const res = await post('healthcheck', { db_uri: uri });
        const done = await finished('healthcheck', res.json.job_id);
        expect(done.status).toBe('complete');
        expect(done.output.status).toBe('failed');
        expect(done.output.results.TableIntegrity).toEqual({
          status: 'failed',
          messages: [expect.stringMatching(/^table name `x.; DROP TABLE canary; --` is not an identifier: letters, digits and _ only$/)],
        });
      });
    }
  });

  test('a dump of a database with a hostile table name is refused before anything is removed', async () => {
    await attack('dump of a database with a hostile table name', async () => {
      const folder = path.join(stack.dumpsDir, 'hostile_2');
      mkdirSync(folder, { recursive: true });
      writeFileSync(path.join(folder, 'previous.tsv'), 'kept\n');
      const res = await call('event', 'POST', '/jobs', {
        type: 'other',
        genome: 'hostile',
        details: { database_uri: sqliteUri(path.join(upstream, 'hostile_2.sqlite')) },
      });
      expect(res.status).toBe(200);
      const id = res.json.processes[0].job;
      const done = await waitFor(
        async () =>
          ((j) => (['complete', 'failed'].includes(j.status) ? j : undefined))((await call('event', 'GET', `/jobs/dump/${id}`)).json),
        30_000,
        'the dump',
      );
      expect(done.status).toBe('failed');
      expect(readdirSync(folder)).toEqual(['previous.tsv']);
    });
  });
});

// ------------------------------------------------------------------ 2b. the source server may be the submitter's own

describe("a source server of the submitter's own runs nothing on staging", () => {
  // The definitions a copy writes from a hostile catalogue: tests/security/copy-definitions-catalogue.test.ts.
  test(
    'a MERGE table whose rows would go into another staging database: the copy fails, that database is untouched, ' + 'no schema is made',
    async () => {
      await attack('source table defined as a MERGE table over another database', async () => {
        const before = await tableDigest(staging, 'merge_victim');
        expect(before).toEqual({ gene: [expect.any(Number), 2] });
        const res = await post('copy', { source_db_uri: sourceUri('merge_core_110_1'), target_db_uri: stagingUri('merge_core_110_1') });
        expect(res.status).toBe(201);
        expect(await finished('copy', res.json.job_id)).toMatchObject({ status: 'failed' });
        expect(await failure('copy', res.json.job_id)).toMatch(
          /^the source's table t cannot be copied: it uses ENGINE=MRG_MyISAM; a copy makes only InnoDB, MyISAM/,
        );
        expect(await tableDigest(staging, 'merge_victim')).toEqual(before);
        expect(await schemasLike(staging, 'merge\\_core%')).toEqual([]);
        expect(await schemasLike(staging, 'handover\\_%')).toEqual([]);
      });
    },
  );

  test('a database with every kind of value, strings that look like SQL included, is copied exactly', async () => {
    const name = 'types_core_110_1';
    const res = await post('copy', { source_db_uri: sourceUri(name), target_db_uri: stagingUri(name) });
    expect(await finished('copy', res.json.job_id)).toMatchObject({
      status: 'complete',
      output: { tables: { child: 2, everything: 3002 } },
    });
    expect(await tableDigest(staging, name)).toEqual(await tableDigest(source, name));
    for (const table of ['everything', 'child']) {
      const [a] = await sql<Array<Record<string, string>>>(source, `SHOW CREATE TABLE ${q(name)}.${q(table)}`);
      const [b] = await sql<Array<Record<string, string>>>(staging, `SHOW CREATE TABLE ${q(name)}.${q(table)}`);
      expect(b['Create Table']).toBe(a['Create Table']);
    }
    const row = async (m: MariaDbSettings) =>
      (
        await sql<Array<Record<string, unknown>>>(
          m,
          `SELECT HEX(bl) AS bl, HEX(bin) AS bin, t, s, u, i, d, u8, l1, ST_AsText(geo) AS geo, j FROM ${q(name)}.everything WHERE id = 1`,
        )
      )[0];
    expect(await row(staging)).toEqual(await row(source));
    expect(await schemasLike(staging, 'handover\\_%')).toEqual([]);
  });
});

// ------------------------------------------------------------------ the canary

test('after every attack the canary tree, the sources and the canary databases are exactly as they were', async () => {
  expect(await canaryDigest()).toBe(canaryBefore);
  expect(attacks.length).toBeGreaterThan(0);
  expect(attacks.filter((a) => !a.stopped)).toEqual([]);
});
