/**
 * Confinement by real path (core/confine.ts) and the two policies on top of it: targets only on staging
 * (common/staging.ts) and sources only from configured places (common/sources.ts), on real folders,
 * symlinks, FIFOs, host names and own ports. (The stack's own policy, services/copy/targets.ts, needs
 * its MariaDB servers: tests/security/stack-targets.test.ts.)
 */
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, sourcePlacesFrom } from '../../common/config';
import { DbUriError, parseDbUri } from '../../common/db-uri';
import { type SourcePlaces, confineSource, parseServer } from '../../common/sources';
import { confineTarget } from '../../common/staging';
import { isWithin, kindOf, openedKind, realPath, realPathOrNone } from '../../core/confine';

describe('the rules: inside by real path, and what a file is', () => {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'confine-unit-')));
  mkdirSync(path.join(dir, 'real'));
  writeFileSync(path.join(dir, 'real', 'f'), '');
  symlinkSync(path.join(dir, 'real'), path.join(dir, 'alias'));
  execFileSync('mkfifo', [path.join(dir, 'pipe')]);

  test('isWithin: the folder itself or below it, never a sibling that shares its prefix or a way out', () => {
    expect(isWithin('/srv/a', '/srv/a')).toBe(true);
    expect(isWithin('/srv/a', '/srv/a/b/c')).toBe(true);
    expect(isWithin('/srv/a', '/srv/ab')).toBe(false);
    expect(isWithin('/srv/a', '/srv')).toBe(false);
    expect(isWithin('/srv/a', '/srv/a/../b')).toBe(false);
    expect(isWithin('/', '/anything')).toBe(true);
  });

  test('realPath resolves symlinks, and a path that does not exist yet by its nearest existing folder', () => {
    expect(realPath(path.join(dir, 'alias', 'f'))).toBe(path.join(dir, 'real', 'f'));
    expect(realPath(path.join(dir, 'alias', 'new', 'x.sqlite'))).toBe(path.join(dir, 'real', 'new', 'x.sqlite'));
    expect(realPathOrNone(path.join(dir, 'alias', 'new'))).toBeUndefined();
    expect(realPathOrNone(path.join(dir, 'alias'))).toBe(path.join(dir, 'real'));
  });

  test('a FIFO is seen without blocking; a missing file does not open', () => {
    expect(openedKind(path.join(dir, 'real', 'f'))).toBe('file');
    expect(openedKind(path.join(dir, 'pipe'))).toBe('fifo');
    expect(openedKind(dir)).toBe('folder');
    expect(openedKind(path.join(dir, 'missing'))).toEqual({ cannotOpen: 'ENOENT' });
    expect(kindOf(lstatSync(path.join(dir, 'alias')))).toBe('symlink');
  });
});

describe('Targets only on staging: the submission-side check, on real folders, symlinks and host names.', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'staging-test-'));
  const staging = path.join(root, 'staging');
  const state = path.join(root, 'state');
  mkdirSync(staging);
  mkdirSync(state);
  mkdirSync(path.join(root, 'elsewhere'));
  symlinkSync(path.join(root, 'elsewhere'), path.join(staging, 'escape'));
  symlinkSync(path.join(root, 'elsewhere', 'x_core_1_1.sqlite'), path.join(staging, 'linked_core_1_1.sqlite'));
  writeFileSync(path.join(root, 'elsewhere', 'x_core_1_1.sqlite'), 'canary');
  const places = { stagingUris: [`sqlite:///${staging}/`, 'mysql://admin@127.0.0.1:3306/'], protectedPaths: [state] };
  const src = (name: string) => `sqlite:////data/${name}.sqlite`;

  test('a SQLite target directly inside the staging folder, named as its source, is accepted in its real form', async () => {
    await expect(confineTarget(`sqlite:///${staging}/a_core_1_1.sqlite`, src('a_core_1_1'), places)).resolves.toBe(
      `sqlite:///${staging}/a_core_1_1.sqlite`,
    );
    // Reached through a symlink to the staging folder: what is recorded (and locked) is the real path.
    symlinkSync(staging, path.join(root, 'staging-link'));
    await expect(confineTarget(`sqlite:///${root}/staging-link/a_core_1_1.sqlite`, src('a_core_1_1'), places)).resolves.toBe(
      `sqlite:///${staging}/a_core_1_1.sqlite`,
    );
  });

  test.each([
    ['another folder', `sqlite:///${root}/elsewhere/a_core_1_1.sqlite`, 'is not directly inside a staging folder'],
    ['a sub-folder of staging', `sqlite:///${staging}/sub/a_core_1_1.sqlite`, 'is not directly inside a staging folder'],
    ['a symlinked folder that leads out', `sqlite:///${staging}/escape/a_core_1_1.sqlite`, 'is not directly inside a staging folder'],
    ['another name than the source', `sqlite:///${staging}/b_core_1_1.sqlite`, "must name the source's database a_core_1_1"],
    ['a file that is not .sqlite', `sqlite:///${staging}/a_core_1_1.db`, 'must be a .sqlite file'],
  ])('refuses %s', async (_name, target, why) => {
    await expect(confineTarget(target, src('a_core_1_1'), places)).rejects.toThrow(why);
  });

  test('refuses a target that is a symlink, and the project state even inside staging', async () => {
    await expect(confineTarget(`sqlite:///${staging}/linked_core_1_1.sqlite`, src('linked_core_1_1'), places)).rejects.toThrow(
      'is a symbolic link',
    );
    const inside = { ...places, protectedPaths: [path.join(staging, 'a_core_1_1.sqlite')] };
    await expect(confineTarget(`sqlite:///${staging}/a_core_1_1.sqlite`, src('a_core_1_1'), inside)).rejects.toThrow(
      "is one of Handover's own files",
    );
  });

  test('MySQL: the staging server whatever it is called; not another server; never the source itself', async () => {
    await expect(
      confineTarget(`sqlite:///${staging}/a_core_1_1.sqlite`, 'mysql://ro@db.example.org:3306/a_core_1_1', places),
    ).rejects.toThrow('a copy stays on one engine');
    // Accepted in the configured server's own form: another name for it is recorded (and locked) as one.
    await expect(
      confineTarget('mysql://rw:pw@localhost:3306/a_core_1_1', 'mysql://ro@db.example.org:3306/a_core_1_1', places),
    ).resolves.toBe('mysql://rw:pw@127.0.0.1:3306/a_core_1_1');
    await expect(confineTarget('mysql://rw@127.0.0.2:3306/a_core_1_1', 'mysql://ro@db.example.org:3306/a_core_1_1', places)).resolves.toBe(
      'mysql://rw@127.0.0.1:3306/a_core_1_1',
    );
    await expect(
      confineTarget('mysql://rw@127.0.0.1:3307/a_core_1_1', 'mysql://ro@db.example.org:3306/a_core_1_1', places),
    ).rejects.toThrow('is not on a staging server');
    await expect(
      confineTarget('mysql://rw@10.11.12.13:3306/a_core_1_1', 'mysql://ro@db.example.org:3306/a_core_1_1', places),
    ).rejects.toThrow('is not on a staging server');
    // The source on the staging server under another name for the same host: the target would be the source.
    await expect(confineTarget('mysql://rw@localhost:3306/a_core_1_1', 'mysql://ro@127.0.0.1:3306/a_core_1_1', places)).rejects.toThrow(
      'is the source database itself',
    );
  });

  test.each([
    ['a name with a quote', "mysql://h:3306/a'b"],
    ['a name with a backtick', 'mysql://h:3306/a%60b'],
    ['a name with a semicolon', 'mysql://h:3306/a%3BDROP'],
    ['a name beginning with --', 'mysql://h:3306/--all-databases'],
    ['a name of 65 characters', `mysql://h:3306/${'a'.repeat(65)}`],
    ['a unicode look-alike', 'mysql://h:3306/homo_sapiens_cоre_110_38'],
    ['a control character', 'mysql://h:3306/a%0Ab'],
    ['a name that is ..', 'sqlite:////srv/staging/...sqlite'],
    ['a name with a space', 'mysql://h:3306/a%20b'],
    ['an 80 KB URI', `mysql://h:3306/${'a'.repeat(80_000)}`],
    ['a malformed escape', 'mysql://h:3306/a%zz'],
  ])('a database URI with %s is refused, saying why', (_name, uri) => {
    expect(() => parseDbUri(uri)).toThrow(DbUriError);
  });
});

describe('Where sources may be (common/sources.ts), without a server: the settings, files, FIFOs and own ports.', () => {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sources-unit-')));
  const roots = path.join(dir, 'roots');
  mkdirSync(roots);
  writeFileSync(path.join(dir, 'out_core_1_1.sqlite'), '');
  writeFileSync(path.join(roots, 'in_core_1_1.sqlite'), '');
  symlinkSync(path.join(dir, 'out_core_1_1.sqlite'), path.join(roots, 'link_core_1_1.sqlite'));
  execFileSync('mkfifo', [path.join(roots, 'pipe_core_1_1.sqlite')]);
  // A folder inside the roots, and a symlink to it, also inside.
  mkdirSync(path.join(roots, 'real'));
  writeFileSync(path.join(roots, 'real', 'aliased_core_1_1.sqlite'), '');
  symlinkSync(path.join(roots, 'real'), path.join(roots, 'alias'));

  const places = (extra: Partial<SourcePlaces> = {}): SourcePlaces => ({
    servers: [],
    roots: [roots],
    protectedPaths: [],
    ownServices: [],
    ...extra,
  });

  test('with neither setting no source is allowed, and the refusal names both settings', async () => {
    await expect(confineSource(`sqlite:///${roots}/in_core_1_1.sqlite`, places({ roots: [] }))).rejects.toThrow(
      /HANDOVER_SOURCE_SERVERS .* or HANDOVER_SOURCE_ROOTS/,
    );
  });

  test('SQLite: inside by real path only, and a regular file', async () => {
    await expect(confineSource(`sqlite:///${roots}/in_core_1_1.sqlite`, places())).resolves.toBe(`sqlite:///${roots}/in_core_1_1.sqlite`);
    await expect(confineSource(`sqlite:///${roots}/missing_core_1_1.sqlite`, places())).resolves.toBe(
      `sqlite:///${roots}/missing_core_1_1.sqlite`,
    ); // the existence check's to report
    await expect(confineSource(`sqlite:///${dir}/out_core_1_1.sqlite`, places())).rejects.toThrow(/not inside a source folder/);
    await expect(confineSource(`sqlite:///${roots}/link_core_1_1.sqlite`, places())).rejects.toThrow(/not inside a source folder/);
    await expect(confineSource(`sqlite:///${roots}/pipe_core_1_1.sqlite`, places())).rejects.toThrow(/is a FIFO/);
    await expect(confineSource(`sqlite:///${roots}/in_core_1_1.sqlite`, places({ protectedPaths: [roots] }))).rejects.toThrow(
      /Handover's own files/,
    );
  });

  test('MySQL: on a listed server by address and port; never one of our own services', async () => {
    const listed = places({
      servers: ['127.0.0.1:3306'],
      ownServices: [{ what: 'Temporal (TEMPORAL_ADDRESS)', host: 'localhost', port: 7233 }],
    });
    await expect(confineSource('mysql://u@localhost:3306/db', listed)).resolves.toBe('mysql://u@127.0.0.1:3306/db');
    await expect(confineSource('mysql://u@[::1]:3306/db', listed)).resolves.toBe('mysql://u@127.0.0.1:3306/db');
    await expect(confineSource('mysql://u@127.0.0.1:3307/db', listed)).rejects.toThrow(
      /not on a source server \(HANDOVER_SOURCE_SERVERS: 127.0.0.1:3306\)/,
    );
    await expect(confineSource('mysql://u@10.9.8.7:3306/db', listed)).rejects.toThrow(/not on a source server/);
    await expect(confineSource('mysql://u@127.0.0.1:7233/db', { ...listed, servers: ['127.0.0.1:7233'] })).rejects.toThrow(/is Temporal/);
  });

  test('what was checked is what comes back: the listed server as configured, credentials and database kept', async () => {
    const listed = places({ servers: ['127.0.0.1:3306'] });
    // An alias of the listed server: the listed host and port, not the name whose DNS answer may change.
    await expect(confineSource('mysql://reader:p%40ss@localhost:3306/homo_sapiens_core_1_1', listed)).resolves.toBe(
      'mysql://reader:p%40ss@127.0.0.1:3306/homo_sapiens_core_1_1',
    );
    await expect(confineSource('mysql+pymysql://reader@[::1]:3306/db', listed)).resolves.toBe('mysql://reader@127.0.0.1:3306/db');
    // An IPv6 server as listed, written as a URI writes it.
    await expect(confineSource('mysql://reader:pw@localhost:3306/db', places({ servers: ['[::1]:3306'] }))).resolves.toBe(
      'mysql://reader:pw@[::1]:3306/db',
    );
    await expect(confineSource('mysql://reader@127.0.0.1:3306/db', places({ servers: ['localhost:3306'] }))).resolves.toBe(
      'mysql://reader@localhost:3306/db',
    );
  });

  test('SQLite: what comes back is the real folder and the same file name', async () => {
    await expect(confineSource(`sqlite:///${roots}/alias/aliased_core_1_1.sqlite`, places())).resolves.toBe(
      `sqlite:///${roots}/real/aliased_core_1_1.sqlite`,
    );
    // The roots named through a symlink: the real path all the same.
    const linkedRoots = path.join(dir, 'linked-roots');
    symlinkSync(roots, linkedRoots);
    await expect(confineSource(`sqlite:///${linkedRoots}/alias/aliased_core_1_1.sqlite`, places({ roots: [linkedRoots] }))).resolves.toBe(
      `sqlite:///${roots}/real/aliased_core_1_1.sqlite`,
    );
  });

  test('the settings: host:port entries and absolute folders; the own services come from the configuration', () => {
    expect(parseServer('[::1]:3306')).toEqual({ host: '::1', port: 3306 });
    expect(() => parseServer('db.example.org')).toThrow('is not host:port');
    const key = { HANDOVER_SECRET_KEY: 'x'.repeat(16) };
    expect(() => loadConfig({ ...key, HANDOVER_SOURCE_SERVERS: 'db:3306,nope' })).toThrow(
      'HANDOVER_SOURCE_SERVERS: must be comma-separated host:port',
    );
    expect(() => loadConfig({ ...key, HANDOVER_SOURCE_ROOTS: 'relative/folder' })).toThrow(
      'HANDOVER_SOURCE_ROOTS: must be comma-separated absolute folders',
    );
    const own = sourcePlacesFrom(loadConfig({ ...key, HANDOVER_SOURCE_SERVERS: 'db:3306, db2:3307' }));
    expect(own.servers).toEqual(['db:3306', 'db2:3307']);
    expect(own.ownServices.map((s) => `${s.host}:${s.port}`)).toEqual([
      'localhost:7233',
      'localhost:4001',
      'localhost:4002',
      'localhost:4003',
      'localhost:4004',
      '127.0.0.1:8080',
    ]);
  });
});
