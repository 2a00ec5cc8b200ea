/**
 * The local stack against the attacks of the "aim it anywhere else" issue: no password at rest (job stores, their
 * modes, sealed inputs across a restart, stores written before sealing). The scene, the canary digest and the attack
 * tally are tests/security/stack-harness.ts's: the canary is checksummed before the attacks and again at the end, and
 * must not have changed; the tally is printed at the end.
 */
import { chmodSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { locate, redact, safe } from '../../services/db/uri';
import { stackSealer } from '../../services/jobs/secrets';
import { JobStore } from '../../services/jobs/store';
import { startLocalStack } from '../../services/stack';
import { testStackSourceRoots } from '../helpers/sources';
import { waitFor } from '../helpers/wait';
import {
  attack,
  attacks,
  canaryBefore,
  canaryDigest,
  startScene,
  stopScene,
  PORTS,
  call,
  copied,
  dataDir,
  dir,
  failure,
  finished,
  post,
  source,
  sourceUri,
  staging,
  stagingUri,
} from './stack-harness';

beforeAll(() => startScene(), 180_000);
// The staging database the metadata and event jobs read.
beforeAll(() => copied(sourceUri('felis_catus_core_110_5'), stagingUri('felis_catus_core_110_5')));
afterAll(stopScene);

// ------------------------------------------------------------------ 4. secrets at rest

/** Every byte under a folder, file by file. */
const rawFiles = (root: string): Array<[string, Buffer]> =>
  readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .map((f) => [f, readFileSync(f)]);

describe('no password at rest', () => {
  test('job stores are 0600 in 0700 folders and hold no password; the job view shows none', async () => {
    // Jobs with passwords on every service.
    const hc = await post('healthcheck', { db_uri: sourceUri('felis_catus_core_110_5'), hc_groups: ['meta'] });
    const md = await post('metadata', {
      database_uri: stagingUri('felis_catus_core_110_5'),
      email: 'c@example.org',
      comment: 'x',
      source: 'Handover',
    });
    const ev = await call('event', 'POST', '/jobs', {
      type: 'other',
      genome: 'felis_catus',
      details: { database_uri: stagingUri('felis_catus_core_110_5') },
    });
    expect([hc.status, md.status, ev.status]).toEqual([201, 201, 200]);
    expect(await finished('healthcheck', hc.json.job_id)).toMatchObject({
      status: 'complete',
      input: { db_uri: expect.stringContaining(':***@') },
    });
    expect(await finished('metadata', md.json.job_id)).toMatchObject({ status: 'complete' });
    await waitFor(
      async () =>
        ['complete', 'failed'].includes((await call('event', 'GET', `/jobs/dump/${ev.json.processes[0].job}`)).json.status) || undefined,
      30_000,
      'the dump',
    );
    await attack('passwords in the raw job store files', () => {
      const files = rawFiles(dataDir);
      expect(files.map(([f]) => path.basename(f))).toEqual(
        expect.arrayContaining(['copy-jobs.sqlite', 'copy-jobs.sqlite-wal', 'metadata.sqlite', 'secret.key']),
      );
      for (const [file, bytes] of files) {
        for (const password of [
          source.password,
          staging.password,
          encodeURIComponent(source.password),
          encodeURIComponent(staging.password),
        ]) {
          expect({ file, holds: bytes.includes(password) }).toEqual({ file, holds: false });
        }
      }
    });
    await attack('world-readable job stores and data folders', () => {
      for (const d of [dataDir, path.join(dataDir, 'jobs'), path.join(dataDir, 'dumps')])
        expect([d, (statSync(d).mode & 0o777).toString(8)]).toEqual([d, '700']);
      const stores = readdirSync(path.join(dataDir, 'jobs')).filter((f) => /\.sqlite(-wal|-shm|-journal)?$/.test(f));
      expect(stores.length).toBeGreaterThanOrEqual(10);
      for (const f of [...stores.map((s) => path.join(dataDir, 'jobs', s)), path.join(dataDir, 'secret.key')])
        expect([f, (statSync(f).mode & 0o777).toString(8)]).toEqual([f, '600']);
    });
    for (const [service, list] of [
      ['healthcheck', '/jobs'],
      ['copy', '/jobs'],
      ['metadata', '/jobs'],
    ] as const) {
      const text = JSON.stringify((await call(service, 'GET', list)).json);
      expect(text).not.toContain(source.password);
      expect(text).not.toContain(staging.password);
    }
  });

  test('a password holding @ (or spaces) is hidden whole: in messages, job views, lists, failures and files', async () => {
    await attack('password with @ half shown', async () => {
      expect(safe('mysql://u:hunter@2secret@host/db')).toBe('mysql://u:***@host/db');
      expect(safe('mysql://u:hunter@2secret@host:3306/db_core_1')).toBe('mysql://u:***@host:3306/db_core_1');
      expect(safe('mysql://u:a b@c@host/db')).toBe('mysql://u:***@host/db');
      expect(safe('mysql://u:p/w@d@host/db')).toBe('mysql://u:***@host/db'); // the parser refuses it: up to the last @
      expect(safe('could not reach mysql://u:hunter@2secret@h:1/a_core_1: refused; also mysql+pymysql://v:x@y@z/b')).toBe(
        'could not reach mysql://u:***@h:1/a_core_1: refused; also mysql+pymysql://v:***@z/b',
      );
      expect(safe('mysql://u@host/db')).toBe('mysql://u@host/db');
      expect(safe('sqlite:////data/x@y.sqlite')).toBe('sqlite:////data/x@y.sqlite');
      expect(redact({ a: ['mysql://u:p@q@h/db'], b: { c: 'mysql://u:p@h/db' } })).toEqual({
        a: ['mysql://u:***@h/db'],
        b: { c: 'mysql://u:***@h/db' },
      });
      expect(locate('mysql://u:hunter@2secret@host/db')).toMatchObject({ user: 'u', password: 'hunter@2secret', host: 'host' });

      // Through a service: a healthcheck of a database with such a password (the server refuses the login).
      const uri = `mysql://${staging.user}:hunter@2secret@${staging.host}:${staging.port}/canary_keep`;
      const res = await post('healthcheck', { db_uri: uri, hc_groups: ['meta'] });
      expect(res.status).toBe(201);
      const done = await finished('healthcheck', res.json.job_id);
      expect(done.input.db_uri).toBe(`mysql://${staging.user}:***@${staging.host}:${staging.port}/canary_keep`);
      const shown = JSON.stringify([done, (await call('healthcheck', 'GET', '/jobs')).json, await failure('healthcheck', res.json.job_id)]);
      expect(shown).not.toContain('2secret');
      expect(shown).not.toContain('hunter');
      for (const [file, bytes] of rawFiles(dataDir))
        expect({ file, holds: bytes.includes('2secret') || bytes.includes('hunter') }).toEqual({ file, holds: false });
    });
  });

  test('a job with a sealed password resumes after a restart; with another key it fails, saying why', async () => {
    const crashDir = path.join(dir, 'crash');
    const storeFile = path.join(crashDir, 'jobs', 'healthcheck-jobs.sqlite');
    const input = { db_uri: sourceUri('felis_catus_core_110_5'), hc_groups: ['meta'] };
    // A job a crash left running: its input, password included, sealed with the stack's key file.
    const store = new JobStore(storeFile, stackSealer({ dataDir: crashDir }));
    const { job: crashed } = store.create('healthcheck', input, 'crash-1');
    store.update(crashed.id, { status: 'running' });
    store.close();
    for (const [f, bytes] of rawFiles(crashDir)) expect({ f, holds: bytes.includes(source.password) }).toEqual({ f, holds: false });
    const resumed = await startLocalStack({ sourceRoots: testStackSourceRoots(), dataDir: crashDir, ports: PORTS });
    try {
      await resumed.services.healthcheck.runner.idle();
      expect(resumed.services.healthcheck.store.get(crashed.id)).toMatchObject({
        status: 'complete',
        output: { status: 'passed', results: { DatabaseOpens: { status: 'passed' } } },
      });
    } finally {
      await resumed.close();
    }
    // Another, under a stack started with another key: it cannot be unsealed, and says so.
    const again = new JobStore(storeFile, stackSealer({ dataDir: crashDir }));
    const { job: other } = again.create('healthcheck', input, 'crash-2');
    again.update(other.id, { status: 'running' });
    again.close();
    const rekeyed = await startLocalStack({
      sourceRoots: testStackSourceRoots(),
      dataDir: crashDir,
      ports: PORTS,
      secretKey: 'another-key-0123456789',
    });
    try {
      await rekeyed.services.healthcheck.runner.idle();
      expect(rekeyed.services.healthcheck.store.get(other.id)).toMatchObject({
        status: 'failed',
        failure: expect.stringMatching(/sealed input cannot be opened/),
      });
    } finally {
      await rekeyed.close();
    }
  });

  test('a job store written before sealing loses its plaintext passwords when the stack starts', async () => {
    await attack('plaintext passwords left in an old job store', async () => {
      const oldDir = path.join(dir, 'old');
      mkdirSync(path.join(oldDir, 'jobs'), { recursive: true });
      const file = path.join(oldDir, 'jobs', 'copy-jobs.sqlite');
      const db = new DatabaseSync(file);
      db.exec(`PRAGMA journal_mode = WAL; CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT, idem_key TEXT UNIQUE, kind TEXT NOT NULL, input TEXT NOT NULL,
        status TEXT NOT NULL, output TEXT, failure TEXT, progress TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`);
      db.prepare("INSERT INTO jobs (kind, input, status, failure, created_at, updated_at) VALUES ('copy', ?, 'failed', ?, 'x', 'x')").run(
        JSON.stringify({ source_db_uri: sourceUri('a_core_1'), target_db_uri: stagingUri('a_core_1') }),
        `could not reach ${stagingUri('a_core_1')}`,
      );
      db.close();
      chmodSync(file, 0o644);
      expect(readFileSync(file).includes(staging.password)).toBe(true);
      const s = await startLocalStack({ sourceRoots: testStackSourceRoots(), dataDir: oldDir, ports: PORTS });
      try {
        expect((await call('copy', 'GET', '/jobs/1', undefined, {}, s)).json.input.target_db_uri).toContain(':***@');
        expect(s.services.copy.store.inputOf(s.services.copy.store.get(1)!).target_db_uri).toBe(stagingUri('a_core_1'));
      } finally {
        await s.close();
      }
      for (const [f, bytes] of rawFiles(oldDir)) expect({ f, holds: bytes.includes(staging.password) }).toEqual({ f, holds: false });
      expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
    });
  });
});

// ------------------------------------------------------------------ the canary

test('after every attack the canary tree, the sources and the canary databases are exactly as they were', async () => {
  expect(await canaryDigest()).toBe(canaryBefore);
  expect(attacks.length).toBeGreaterThan(0);
  expect(attacks.filter((a) => !a.stopped)).toEqual([]);
});
