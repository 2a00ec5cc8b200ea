/**
 * The local stack against the attacks of the "aim it anywhere else" issue: a copy replaces its target atomically
 * (killed, crashed, raced by planted links, or meeting another copy of the same target). The scene, the canary digest
 * and the attack tally are tests/security/stack-harness.ts's: the canary is checksummed before the attacks and again at
 * the end, and must not have changed; the tally is printed at the end.
 */
import { existsSync, lstatSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { copyDatabase, workSchemas } from '../../services/copy/copy';
import { parseTargetRoots } from '../../services/copy/targets';
import { locate } from '../../services/db/uri';
import { waitFor } from '../helpers/wait';
import {
  attack,
  attacks,
  canaryBefore,
  canaryDigest,
  startScene,
  stopScene,
  call,
  dataDir,
  elsewhere,
  failure,
  finished,
  job,
  post,
  q,
  schemasLike,
  sha,
  source,
  sourceUri,
  sql,
  sqliteUri,
  staging,
  stagingDir,
  stagingUri,
  tableDigest,
  upstream,
} from './stack-harness';

// With the large sources: copies long enough to be killed or waited for.
beforeAll(() => startScene({ large: true }), 180_000);
afterAll(stopScene);

// ------------------------------------------------------------------ 3. atomic replace

describe('replace atomically', () => {
  test('a SQLite copy killed while it runs leaves the previous staging copy exactly as it was', async () => {
    await attack('killed SQLite copy over an existing target', async () => {
      const target = path.join(stagingDir, 'replace_core_110_1.sqlite');
      const first = await post('copy', {
        source_db_uri: sqliteUri(path.join(upstream, 'homo_sapiens_core_110_1.sqlite')),
        target_db_uri: sqliteUri(target),
      });
      expect(await finished('copy', first.json.job_id)).toMatchObject({ status: 'complete' });
      const before = { sha: sha(target), mode: statSync(target).mode, ino: statSync(target).ino };
      // Chosen tables (skip_tables): copied table by table, long enough for the kill to land
      // (prompt-kill-sqlite.test.ts kills a whole-file copy).
      const killed = await post('copy', {
        source_db_uri: sqliteUri(path.join(upstream, 'big_core_110_1.sqlite')),
        target_db_uri: sqliteUri(target),
        drop: true,
        skip_tables: ['meta'],
      });
      expect((await job('copy', killed.json.job_id)).status).toBe('running');
      expect((await call('copy', 'DELETE', `/jobs/${killed.json.job_id}?kill=1`)).status).toBe(204);
      expect(await failure('copy', killed.json.job_id)).toBe('the job was killed');
      expect({ sha: sha(target), mode: statSync(target).mode, ino: statSync(target).ino }).toEqual(before);
      expect(readdirSync(stagingDir).filter((f) => f.includes('replace_core_110_1'))).toEqual(['replace_core_110_1.sqlite']);
    });
  });

  test('a MariaDB copy killed while it runs leaves the previous staging copy exactly as it was', async () => {
    await attack('killed MariaDB copy over an existing target', async () => {
      const name = 'felis_catus_core_110_5';
      const first = await post('copy', { source_db_uri: sourceUri(name), target_db_uri: stagingUri(name) });
      expect(await finished('copy', first.json.job_id)).toMatchObject({ status: 'complete', output: { tables: { gene: 2000 } } });
      const before = await tableDigest(staging, name);
      const killed = await post('copy', {
        source_db_uri: sourceUri('felis_catus_core_111_5'),
        target_db_uri: stagingUri(name),
        drop: true,
      });
      // Kill once the dump is loading into the temporary schema.
      await waitFor(async () => (await schemasLike(staging, 'handover\\_tmp\\_%')).length > 0 || undefined, 30_000, 'the temporary schema');
      await new Promise((r) => setTimeout(r, 300));
      expect((await job('copy', killed.json.job_id)).status).toBe('running');
      expect((await call('copy', 'DELETE', `/jobs/${killed.json.job_id}?kill=1`)).status).toBe(204);
      expect(await failure('copy', killed.json.job_id)).toBe('the job was killed');
      expect(await tableDigest(staging, name)).toEqual(before);
      expect(await schemasLike(staging, 'handover\\_%')).toEqual([]);
    });
  });

  test('MariaDB replace: one RENAME swaps the new copy in; the old tables go, and drop is still required', async () => {
    const name = 'felis_catus_core_110_5';
    await sql(staging, `CREATE TABLE ${q(name)}.old_only (id INT)`);
    const refusedJob = await post('copy', { source_db_uri: sourceUri(name), target_db_uri: stagingUri(name) });
    expect(await finished('copy', refusedJob.json.job_id)).toMatchObject({ status: 'failed' });
    expect(await failure('copy', refusedJob.json.job_id)).toBe(`target database ${name} exists; submit with drop to replace it`);
    const res = await post('copy', { source_db_uri: sourceUri(name), target_db_uri: stagingUri(name), drop: true });
    expect(await finished('copy', res.json.job_id)).toMatchObject({ status: 'complete' });
    expect(Object.keys((await tableDigest(staging, name)) as object)).toEqual([
      'exon',
      'exon_transcript',
      'gene',
      'meta',
      'seq_region',
      'transcript',
    ]);
    expect(await tableDigest(staging, name)).toEqual(await tableDigest(source, name));
    expect(await schemasLike(staging, 'handover\\_%')).toEqual([]);
  });

  test("a crashed copy's leftovers (temporary file, temporary schemas) are cleared by the next copy of that target", async () => {
    const file = path.join(stagingDir, 'leftover_core_110_1.sqlite');
    writeFileSync(`${path.join(stagingDir, '.leftover_core_110_1.sqlite.copying')}`, 'half a copy');
    const sqliteJob = await post('copy', {
      source_db_uri: sqliteUri(path.join(upstream, 'homo_sapiens_core_110_1.sqlite')),
      target_db_uri: sqliteUri(file),
    });
    expect(await finished('copy', sqliteJob.json.job_id)).toMatchObject({ status: 'complete' });
    expect(readdirSync(stagingDir).filter((f) => f.includes('leftover'))).toEqual(['leftover_core_110_1.sqlite']);

    const { temp, backup } = workSchemas(locate(stagingUri('leftover_core_110_1')) as never);
    for (const s of [temp.name, backup.name]) await sql(staging, `CREATE DATABASE ${q(s)}`);
    const mysqlJob = await post('copy', {
      source_db_uri: sourceUri('felis_catus_core_110_5'),
      target_db_uri: stagingUri('leftover_core_110_1'),
    });
    expect(await finished('copy', mysqlJob.json.job_id)).toMatchObject({ status: 'complete' });
    expect(await schemasLike(staging, 'handover\\_%')).toEqual([]);
  });

  test('symbolic links planted at the temporary names are never written through: the copy works in a private 0700 folder', async () => {
    await attack('SQLite temporary file or journal replaced by a symbolic link while the copy runs', async () => {
      const base = 'planted_core_110_1.sqlite';
      const target = path.join(stagingDir, base);
      const notes = path.join(elsewhere, 'notes.txt');
      const notesBefore = sha(notes);
      // Links where older copies wrote their temporary file and its journal: to a file outside staging and to a new name there.
      const plant = () => {
        for (const [name, to] of [
          [`.${base}.copying`, notes],
          [`.${base}.copying-journal`, path.join(elsewhere, 'planted-journal')],
          [`.${base}.copying-wal`, path.join(elsewhere, 'planted-wal')],
        ]) {
          rmSync(path.join(stagingDir, name), { force: true });
          symlinkSync(to, path.join(stagingDir, name));
        }
      };
      plant();
      const policy = { roots: parseTargetRoots(`sqlite:///${stagingDir}/`), protectedDirs: [dataDir] };
      // Both ways a SQLite copy is made: the whole file (cp), and chosen tables one by one (with a journal).
      const ways: Array<[{ skip_tables?: string[] }, string]> = [
        [{}, base],
        [{ skip_tables: ['meta'] }, `${base},${base}-journal`],
      ];
      for (const [chosen, files] of ways) {
        const seen: string[] = [];
        const out = await copyDatabase(
          {
            source_db_uri: sqliteUri(path.join(upstream, 'homo_sapiens_core_110_1.sqlite')),
            target_db_uri: sqliteUri(target),
            drop: true,
            ...chosen,
          },
          {
            policy,
            progress: () => {
              // Planted again between the copy's start and its first write, as a racing attacker would.
              plant();
              for (const f of readdirSync(stagingDir).filter(
                (f) => f.startsWith(`.${base}.copying-`) && lstatSync(path.join(stagingDir, f)).isDirectory(),
              )) {
                seen.push(
                  `${f.replace(/-[^-]+$/, '-XXXXXX')} ${(statSync(path.join(stagingDir, f)).mode & 0o777).toString(8)}` +
                    ` ${readdirSync(path.join(stagingDir, f)).sort().join(',')}`,
                );
              }
            },
          },
        );
        expect(out.tables).toMatchObject({ gene: 200 });
        expect(new Set(seen)).toEqual(new Set([`.${base}.copying-XXXXXX 700 ${files}`]));
      }
      expect(sha(notes)).toBe(notesBefore);
      expect(existsSync(path.join(elsewhere, 'planted-journal'))).toBe(false);
      expect(existsSync(path.join(elsewhere, 'planted-wal'))).toBe(false);
      expect(lstatSync(target).isFile()).toBe(true);
      const db = new DatabaseSync(target, { readOnly: true });
      try {
        expect(db.prepare('SELECT count(*) AS n FROM gene').get()).toMatchObject({ n: 200 });
      } finally {
        db.close();
      }
      // The private folder is gone; the planted links are still links (nothing was written through them), and the next copy clears them.
      const left = readdirSync(stagingDir).filter((f) => f.startsWith(`.${base}`));
      expect(left.sort()).toEqual([`.${base}.copying`, `.${base}.copying-journal`, `.${base}.copying-wal`]);
      for (const f of left) expect(lstatSync(path.join(stagingDir, f)).isSymbolicLink()).toBe(true);
      await copyDatabase(
        { source_db_uri: sqliteUri(path.join(upstream, 'homo_sapiens_core_110_1.sqlite')), target_db_uri: sqliteUri(target), drop: true },
        { policy },
      );
      expect(readdirSync(stagingDir).filter((f) => f.startsWith(`.${base}`))).toEqual([]);
      expect(sha(notes)).toBe(notesBefore);
    });
  });

  test('one copy per target: a second job for the same target waits for the first, then runs', async () => {
    const target = sqliteUri(path.join(stagingDir, 'mutex_core_110_1.sqlite'));
    // Chosen tables: a copy table by table, long enough for the second job to meet the first.
    const body = {
      source_db_uri: sqliteUri(path.join(upstream, 'big_core_110_1.sqlite')),
      target_db_uri: target,
      drop: true,
      skip_tables: ['meta'],
    };
    const a = await post('copy', body);
    const b = await post('copy', body);
    const waiting = await job('copy', b.json.job_id);
    expect(waiting.progress).toEqual({ waiting: expect.stringMatching(/another copy to the same target is running/) });
    expect((await job('copy', a.json.job_id)).status).toBe('running');
    const [doneA, doneB] = [await finished('copy', a.json.job_id), await finished('copy', b.json.job_id)];
    expect([doneA.status, doneB.status]).toEqual(['complete', 'complete']);
    expect(readdirSync(stagingDir).filter((f) => f.includes('mutex_core'))).toEqual(['mutex_core_110_1.sqlite']);
  });
});

// ------------------------------------------------------------------ the canary

test('after every attack the canary tree, the sources and the canary databases are exactly as they were', async () => {
  expect(await canaryDigest()).toBe(canaryBefore);
  expect(attacks.length).toBeGreaterThan(0);
  expect(attacks.filter((a) => !a.stopped)).toEqual([]);
});
