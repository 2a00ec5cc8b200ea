/** Where sources may be (common/sources.ts), without a server: the settings, files, FIFOs and own ports. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, sourcePlacesFrom } from '../../common/config';
import { type SourcePlaces, confineSource, parseServer } from '../../common/sources';

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

const places = (extra: Partial<SourcePlaces> = {}): SourcePlaces => ({ servers: [], roots: [roots], protectedPaths: [], ownServices: [], ...extra });

test('with neither setting no source is allowed, and the refusal names both settings', async () => {
  await expect(confineSource(`sqlite:///${roots}/in_core_1_1.sqlite`, places({ roots: [] }))).rejects.toThrow(/HANDOVER_SOURCE_SERVERS .* or HANDOVER_SOURCE_ROOTS/);
});

test('SQLite: inside by real path only, and a regular file', async () => {
  await expect(confineSource(`sqlite:///${roots}/in_core_1_1.sqlite`, places())).resolves.toBe(`sqlite:///${roots}/in_core_1_1.sqlite`);
  await expect(confineSource(`sqlite:///${roots}/missing_core_1_1.sqlite`, places())).resolves.toBe(`sqlite:///${roots}/missing_core_1_1.sqlite`); // the existence check's to report
  await expect(confineSource(`sqlite:///${dir}/out_core_1_1.sqlite`, places())).rejects.toThrow(/not inside a source folder/);
  await expect(confineSource(`sqlite:///${roots}/link_core_1_1.sqlite`, places())).rejects.toThrow(/not inside a source folder/);
  await expect(confineSource(`sqlite:///${roots}/pipe_core_1_1.sqlite`, places())).rejects.toThrow(/is a FIFO/);
  await expect(confineSource(`sqlite:///${roots}/in_core_1_1.sqlite`, places({ protectedPaths: [roots] }))).rejects.toThrow(/Handover's own files/);
});

test('MySQL: on a listed server by address and port; never one of our own services', async () => {
  const listed = places({ servers: ['127.0.0.1:3306'], ownServices: [{ what: 'Temporal (TEMPORAL_ADDRESS)', host: 'localhost', port: 7233 }] });
  await expect(confineSource('mysql://u@localhost:3306/db', listed)).resolves.toBe('mysql://u@127.0.0.1:3306/db');
  await expect(confineSource('mysql://u@[::1]:3306/db', listed)).resolves.toBe('mysql://u@127.0.0.1:3306/db');
  await expect(confineSource('mysql://u@127.0.0.1:3307/db', listed)).rejects.toThrow(/not on a source server \(HANDOVER_SOURCE_SERVERS: 127.0.0.1:3306\)/);
  await expect(confineSource('mysql://u@10.9.8.7:3306/db', listed)).rejects.toThrow(/not on a source server/);
  await expect(confineSource('mysql://u@127.0.0.1:7233/db', { ...listed, servers: ['127.0.0.1:7233'] })).rejects.toThrow(/is Temporal/);
});

test('what was checked is what comes back: the listed server as configured, credentials and database kept', async () => {
  const listed = places({ servers: ['127.0.0.1:3306'] });
  // An alias of the listed server: the listed host and port, not the name whose DNS answer may change.
  await expect(confineSource('mysql://reader:p%40ss@localhost:3306/homo_sapiens_core_1_1', listed)).resolves.toBe('mysql://reader:p%40ss@127.0.0.1:3306/homo_sapiens_core_1_1');
  await expect(confineSource('mysql+pymysql://reader@[::1]:3306/db', listed)).resolves.toBe('mysql://reader@127.0.0.1:3306/db');
  // An IPv6 server as listed, written as a URI writes it.
  await expect(confineSource('mysql://reader:pw@localhost:3306/db', places({ servers: ['[::1]:3306'] }))).resolves.toBe('mysql://reader:pw@[::1]:3306/db');
  await expect(confineSource('mysql://reader@127.0.0.1:3306/db', places({ servers: ['localhost:3306'] }))).resolves.toBe('mysql://reader@localhost:3306/db');
});

test('SQLite: what comes back is the real folder and the same file name', async () => {
  await expect(confineSource(`sqlite:///${roots}/alias/aliased_core_1_1.sqlite`, places())).resolves.toBe(`sqlite:///${roots}/real/aliased_core_1_1.sqlite`);
  // The roots named through a symlink: the real path all the same.
  const linkedRoots = path.join(dir, 'linked-roots');
  symlinkSync(roots, linkedRoots);
  await expect(confineSource(`sqlite:///${linkedRoots}/alias/aliased_core_1_1.sqlite`, places({ roots: [linkedRoots] }))).resolves.toBe(`sqlite:///${roots}/real/aliased_core_1_1.sqlite`);
});

test('the settings: host:port entries and absolute folders; the own services come from the configuration', () => {
  expect(parseServer('[::1]:3306')).toEqual({ host: '::1', port: 3306 });
  expect(() => parseServer('db.example.org')).toThrow('is not host:port');
  const key = { HANDOVER_SECRET_KEY: 'x'.repeat(16) };
  expect(() => loadConfig({ ...key, HANDOVER_SOURCE_SERVERS: 'db:3306,nope' })).toThrow('HANDOVER_SOURCE_SERVERS: must be comma-separated host:port');
  expect(() => loadConfig({ ...key, HANDOVER_SOURCE_ROOTS: 'relative/folder' })).toThrow('HANDOVER_SOURCE_ROOTS: must be comma-separated absolute folders');
  const own = sourcePlacesFrom(loadConfig({ ...key, HANDOVER_SOURCE_SERVERS: 'db:3306, db2:3307' }));
  expect(own.servers).toEqual(['db:3306', 'db2:3307']);
  expect(own.ownServices.map((s) => `${s.host}:${s.port}`)).toEqual(['localhost:7233', 'localhost:4001', 'localhost:4002', 'localhost:4003', 'localhost:4004', '127.0.0.1:8080']);
});
