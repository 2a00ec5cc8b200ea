/**
 * The local stack against the attacks of the "aim it anywhere else" issue, part one: a copy writes only to a staging
 * target, a dump only inside the dumps folder. The scene (a canary tree, the upstream sources, a canary database on each
 * MariaDB server), the canary digest and the attack tally are tests/security/stack-harness.ts's: the canary is
 * checksummed before the attacks and again at the end, and must not have changed; the tally is printed at the end.
 */
import { lstatSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createCopyService } from '../../services/copy/service';
import { checkTarget, parseTargetRoots } from '../../services/copy/targets';
import { dumpDatabase } from '../../services/event/dump';
import { mariadbUri } from '../helpers/harness';
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
  finished,
  jobs,
  post,
  refused,
  schemasLike,
  sourceUri,
  sqliteUri,
  stack,
  staging,
  stagingDir,
  stagingUri,
  upstream,
} from './stack-harness';

beforeAll(() => startScene(), 180_000);
afterAll(stopScene);

// ------------------------------------------------------------------ 1. targets only on staging

describe('targets only on staging', () => {
  test('a legitimate SQLite copy into the staging folder works', async () => {
    const res = await post('copy', {
      source_db_uri: sqliteUri(path.join(upstream, 'homo_sapiens_core_110_1.sqlite')),
      target_db_uri: sqliteUri(path.join(stagingDir, 'homo_sapiens_core_110_1.sqlite')),
    });
    expect(res.status).toBe(201);
    expect(await finished('copy', res.json.job_id)).toMatchObject({ status: 'complete', output: { tables: { gene: 200 } } });
  });

  const sqliteAttacks: Array<[string, () => string, RegExp]> = [
    ['a file in another folder', () => path.join(elsewhere, 'canary.sqlite'), /not directly inside a staging folder/],
    ["the Temporal dev server's history file", () => path.join(elsewhere, 'temporal.db'), /must be an identifier followed by \.sqlite/],
    ['.. in the path', () => `${stagingDir}/../elsewhere/canary.sqlite`, /not directly inside a staging folder/],
    ['%2e%2e in the path', () => `${stagingDir}/%2e%2e/elsewhere/canary.sqlite`, /not directly inside a staging folder/],
    ['an encoded / and ..', () => `${stagingDir}/..%2Felsewhere%2Fcanary.sqlite`, /absolute and normal/],
    ['a file named ...sqlite (its name is ..)', () => `${stagingDir}/...sqlite`, /database name `\.\.` is not an identifier/],
    ['a symbolic link in staging pointing out', () => path.join(stagingDir, 'link_core_110_1.sqlite'), /symbolic link/],
    [
      'a symlinked folder in staging pointing out',
      () => path.join(stagingDir, 'sub', 'canary.sqlite'),
      /not directly inside a staging folder/,
    ],
    ['a folder below staging', () => path.join(stagingDir, 'nested', 'x_core_110_1.sqlite'), /not directly inside a staging folder/],
    ['a folder named like a database', () => path.join(stagingDir, 'dir_core_110_1.sqlite'), /not a regular file/],
    ["the copy service's own job store", () => path.join(dataDir, 'jobs', 'copy-jobs.sqlite'), /`copy-jobs` is not an identifier/],
    ['the metadata store', () => path.join(dataDir, 'jobs', 'metadata.sqlite'), /not directly inside a staging folder/],
    ['a system file', () => '/etc/passwd', /must be an identifier followed by \.sqlite/],
    ['a relative path', () => 'relative.sqlite', /absolute path|not a URI/],
  ];
  test.each(sqliteAttacks)('SQLite target refused with 400 and no job: %s', async (name, target, message) => {
    await attack(`copy target: ${name}`, async () => {
      const uri = target().startsWith('/') ? sqliteUri(target()) : `sqlite://${target()}`;
      await refused(
        'copy',
        { source_db_uri: sqliteUri(path.join(upstream, 'homo_sapiens_core_110_1.sqlite')), target_db_uri: uri, drop: true },
        message,
      );
    });
  });

  test('the source itself is refused as a target', async () => {
    await attack('copy target: the source itself (SQLite)', async () => {
      const file = path.join(stagingDir, 'homo_sapiens_core_110_1.sqlite');
      await refused(
        'copy',
        { source_db_uri: sqliteUri(file), target_db_uri: sqliteUri(file), drop: true },
        /the target is the source itself/,
      );
    });
    await attack('copy target: the source itself (MariaDB)', async () => {
      await refused(
        'copy',
        { source_db_uri: stagingUri('canary_keep'), target_db_uri: stagingUri('canary_keep'), drop: true },
        /the target is the source itself/,
      );
    });
  });

  test('a root inside the stack data folder is refused at start', async () => {
    await attack('config: a target root inside the data folder', () => {
      const jobsDir = path.join(dataDir, 'jobs');
      expect(() => createCopyService({ dataDir: jobsDir, targetRoots: `sqlite:///${jobsDir}/`, protectedDirs: [dataDir] })).toThrow(
        /inside the local stack's own data folder/,
      );
      expect(() => parseTargetRoots('mysql://u:secret@h:3306/')).toThrow(/no password/);
      expect(() => parseTargetRoots('mysql://h:3306/somedb')).toThrow(/names no database/);
    });
  });

  const body = (target: string) => ({ source_db_uri: sourceUri('felis_catus_core_110_5'), target_db_uri: target, drop: true });
  const mysqlAttacks: Array<[string, () => string, RegExp]> = [
    ['a database on a server that is not staging (the source server)', () => sourceUri('canary_db'), /is not a staging server/],
    ['that server named localhost', () => sourceUri('canary_db').replace('127.0.0.1', 'localhost'), /is not a staging server/],
    ['the staging host on another port', () => mariadbUri({ ...staging, port: staging.port + 1 }, 'x_core_1'), /is not a staging server/],
    ['the mysql system database', () => stagingUri('mysql'), /system database/],
    ['information_schema', () => stagingUri('INFORMATION_SCHEMA'), /system database/],
    ["the copy's own temporary schema", () => stagingUri('handover_tmp_0123456789abcdef'), /the copy's own/],
    [
      'a name with a backtick and a statement',
      () => stagingUri(encodeURIComponent('x`; DROP DATABASE canary_keep; --')),
      /is not an identifier/,
    ],
    ['a name that is an option', () => stagingUri('--help'), /is not an identifier/],
    ['a name of 65 characters', () => stagingUri('a'.repeat(65)), /longer than 64 characters/],
    ['a name that is ..', () => stagingUri('%2e%2e'), /names no database/],
    [
      'a host that is an option',
      () => `mysql://${staging.user}:${staging.password}@-oProxyCommand=x:${staging.port}/x_core_1`,
      /not a host name/,
    ],
    [
      'a host that does not resolve',
      () => `mysql://${staging.user}:${staging.password}@no-such-host.invalid:${staging.port}/x_core_1`,
      /cannot resolve the host/,
    ],
    ['another engine', () => sqliteUri(path.join(stagingDir, 'x_core_1.sqlite')), /same engine/],
  ];
  test.each(mysqlAttacks)('MariaDB target refused with 400 and no job: %s', async (name, target, message) => {
    await attack(`copy target: ${name}`, async () => {
      await refused('copy', body(target()), message);
    });
  });

  test('host names and addresses of the staging server are compared canonically', async () => {
    // Through the service: localhost for the staging server's 127.0.0.1 is the staging server.
    const alias = stagingUri('alias_core_110_1').replace('127.0.0.1', 'localhost');
    const res = await post('copy', body(alias));
    expect(res.status).toBe(201);
    expect(await finished('copy', res.json.job_id)).toMatchObject({ status: 'complete', output: { tables: { gene: 2000 } } });
    expect(await schemasLike(staging, 'alias_core_110_1')).toEqual(['alias_core_110_1']);

    const policy = (root: string) => ({ roots: parseTargetRoots(root), protectedDirs: [] });
    const at = (host: string, port = staging.port, user = staging.user) =>
      `mysql://${user}:${staging.password}@${host}:${port}/alias_core_110_2`;
    const src = sourceUri('felis_catus_core_110_5');
    for (const target of [at('127.0.0.1'), at('localhost'), at('[::1]'), at('[::ffff:127.0.0.1]')]) {
      expect((await checkTarget(src, target, policy(`mysql://localhost:${staging.port}/`))).location).toMatchObject({
        host: '127.0.0.1',
        port: staging.port,
      });
    }
    expect((await checkTarget(src, at('localhost'), policy(`mysql://127.0.0.1:${staging.port}/`))).key).toBe(
      `mysql:loopback:${staging.port}/alias_core_110_2`,
    );
    await attack('copy target: another loopback address (127.0.0.2) than the staging server', async () => {
      await expect(checkTarget(src, at('127.0.0.2'), policy(`mysql://127.0.0.1:${staging.port}/`))).rejects.toThrow(
        /is not a staging server/,
      );
    });
    await attack('copy target: another user than the staging root names', async () => {
      await expect(
        checkTarget(src, at('127.0.0.1', staging.port, 'root'), policy(`mysql://${staging.user}@127.0.0.1:${staging.port}/`)),
      ).rejects.toThrow(/is not a staging server/);
    });
    await attack('copy target: a MariaDB target with no MariaDB root configured', async () => {
      await expect(checkTarget(src, at('127.0.0.1'), policy(`sqlite:///${stagingDir}/`))).rejects.toThrow(/none configured for mysql/);
    });
  });
});

// ------------------------------------------------------------------ 6. dumps stay in the dumps folder

describe('dumps stay inside the dumps folder', () => {
  test('an event naming a database whose name escapes is refused (400, no job), and nothing outside dumps is removed', async () => {
    const escapes: Array<[string, string, RegExp]> = [
      ['a database file ...sqlite (name ..)', sqliteUri(path.join(dataDir, '...sqlite')), /database name `\.\.` is not an identifier/],
      ['a database file ..sqlite (name .)', sqliteUri(path.join(dataDir, '..sqlite')), /database name `\.` is not an identifier/],
      ['a MariaDB database named ..', `${stagingUri('')}%2e%2e`, /names no database/],
      ['a MariaDB database named ../../x', `${stagingUri('')}..%2F..%2Fx`, /not an identifier/],
      ['an encoded path escape', `sqlite:///${dataDir}/x/..%2F..%2Fservices.sqlite`, /absolute and normal/],
    ];
    for (const [name, uri, message] of escapes) {
      await attack(`dump: ${name}`, async () => {
        const before = jobs('event');
        const res = await call('event', 'POST', '/jobs', { type: 'new_assembly', genome: 'g', details: { database_uri: uri } });
        expect(res).toEqual({ status: 400, json: { error: expect.stringMatching(message) } });
        expect(jobs('event')).toBe(before);
      });
    }
    await attack('dump called directly with a database named ..', async () => {
      writeFileSync(path.join(dataDir, '...sqlite'), '');
      await expect(dumpDatabase(sqliteUri(path.join(dataDir, '...sqlite')), stack.dumpsDir)).rejects.toThrow(/not an identifier/);
      expect(
        readdirSync(path.join(dataDir, 'jobs'))
          .filter((f) => f.endsWith('-jobs.sqlite'))
          .sort(),
      ).toEqual(['copy-jobs.sqlite', 'event-jobs.sqlite', 'healthcheck-jobs.sqlite', 'metadata-jobs.sqlite']);
    });
    await attack('dump over a symbolic link planted in the dumps folder', async () => {
      const link = path.join(stack.dumpsDir, 'homo_sapiens_core_111_1');
      symlinkSync(path.join(elsewhere, 'sub'), link);
      const out = await dumpDatabase(sqliteUri(path.join(upstream, 'homo_sapiens_core_111_1.sqlite')), stack.dumpsDir);
      expect(out.files).toContain('gene.tsv');
      expect(lstatSync(link).isDirectory()).toBe(true);
      expect(readdirSync(path.join(elsewhere, 'sub'))).toEqual(['deep.txt']);
    });
  });
});

// ------------------------------------------------------------------ the canary

test('after every attack the canary tree, the sources and the canary databases are exactly as they were', async () => {
  expect(await canaryDigest()).toBe(canaryBefore);
  expect(attacks.length).toBeGreaterThan(0);
  expect(attacks.filter((a) => !a.stopped)).toEqual([]);
});
