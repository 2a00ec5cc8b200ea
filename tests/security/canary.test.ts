/**
 * Aimed at anything but staging, through the whole system: the API, the real Temporal server and the
 * real local stack (SQLite and MariaDB). A canary tree of files and databases outside staging is
 * checksummed before and after a volley of attacks and must not change; a legitimate handover beside
 * them completes; a replacement cancelled mid-copy leaves the previous staging copy as it was.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { createDemoDatabase } from '../../services/demo';
import { type LocalStack, startLocalStack } from '../../services/stack';
import { type Harness, type MariaDbSettings, mariadbSettings, mariadbUri, spec, startHarness, serviceUrlsEnv } from '../helpers/harness';
import { testStackSourceRoots } from '../helpers/sources';
import { waitFor } from '../helpers/wait';

const source = mariadbSettings('source');
const staging = mariadbSettings('staging');
const root = mkdtempSync(path.join(os.tmpdir(), 'handover-canary-'));
const stagingDir = path.join(root, 'staging');
const canaryDir = path.join(root, 'canary');
const token = randomBytes(16).toString('hex');
let stack: LocalStack;
let h: Harness;

/** Every canary file's sha256, and every canary MariaDB table's checksum, in one comparable map. */
async function canaryState(): Promise<Record<string, string>> {
  const state: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) walk(file);
      else state[file] = createHash('sha256').update(readFileSync(file)).digest('hex');
    }
  };
  walk(canaryDir);
  for (const [label, server, database] of [
    ['source', source, 'canary_core_110_2'],
    ['staging', staging, 'canary_core_110_1'],
    ['staging', staging, 'lynx_canaria_core_110_9'],
  ] as const) {
    const conn = await connect(server);
    try {
      const [tables] = await conn.query('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY 1', [
        database,
      ]);
      const names = (tables as Array<{ t: string }>).map((r) => r.t);
      state[`${label}:${database}`] = names.join(',');
      for (const t of names) {
        const [rows] = await conn.query(`CHECKSUM TABLE \`${database}\`.\`${t}\``);
        state[`${label}:${database}.${t}`] = String((rows as Array<{ Checksum: number }>)[0].Checksum);
      }
    } finally {
      await conn.end();
    }
  }
  return state;
}

const connect = (m: MariaDbSettings) => mysql.createConnection({ host: m.host, port: m.port, user: m.user, password: m.password });

async function canaryDatabase(m: MariaDbSettings, database: string): Promise<void> {
  const conn = await connect(m);
  try {
    await conn.query(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
    await conn.query(`CREATE TABLE IF NOT EXISTS \`${database}\`.canary (id INT PRIMARY KEY, note VARCHAR(64))`);
    await conn.query(`REPLACE INTO \`${database}\`.canary VALUES (1, 'must survive'), (2, ?)`, [database]);
  } finally {
    await conn.end();
  }
}

beforeAll(async () => {
  mkdirSync(stagingDir);
  mkdirSync(path.join(canaryDir, '.temporal'), { recursive: true });
  mkdirSync(path.join(canaryDir, 'jobs'), { recursive: true });
  writeFileSync(path.join(canaryDir, '.temporal', 'temporal.db'), 'the history');
  writeFileSync(path.join(canaryDir, 'jobs', 'copy-jobs.sqlite'), 'the job store');
  writeFileSync(path.join(canaryDir, 'secret.key'), 'a key');
  // Databases named like the source, outside staging: a target naming them must be refused.
  await createDemoDatabase(`sqlite:///${canaryDir}/lynx_canaria_core_110_9.sqlite`, { genes: 20 });
  symlinkSync(path.join(canaryDir, 'lynx_canaria_core_110_9.sqlite'), path.join(stagingDir, 'linked_core_110_1.sqlite'));
  symlinkSync(canaryDir, path.join(stagingDir, 'escape'));
  await canaryDatabase(source, 'canary_core_110_2');
  await canaryDatabase(staging, 'canary_core_110_1');
  await canaryDatabase(staging, 'lynx_canaria_core_110_9');

  stack = await startLocalStack({
    sourceRoots: testStackSourceRoots(),
    dataDir: path.join(root, 'services'),
    ports: { healthcheck: 0, copy: 0, metadata: 0, event: 0 },
    passwords: { [`${staging.user}@${staging.host}:${staging.port}`]: staging.password },
    targetRoots: [`sqlite:///${stagingDir}/`, `mysql://${staging.host}:${staging.port}/`],
    token,
  });
  h = await startHarness({
    ...serviceUrlsEnv(stack.urls),
    HANDOVER_SERVICE_TOKEN: token,
    HANDOVER_STAGING_URI: `sqlite:///${stagingDir}/`,
    HANDOVER_STAGING_RULES: JSON.stringify([{ pattern: '^danio_rerio_', staging_uri: mariadbUri(staging) }]),
  });
});
afterAll(async () => {
  await h?.stop();
  await stack?.close();
});

test('a volley of attacks through the API changes nothing outside staging, while a real handover completes', async () => {
  const before = await canaryState();
  const src = `sqlite:///${canaryDir}/lynx_canaria_core_110_9.sqlite`;
  const attacks: Array<[string, Record<string, unknown>]> = [
    ['target: the canary file of the same name', { tgt_uri: `sqlite:///${canaryDir}/lynx_canaria_core_110_9.sqlite` }],
    ["target: Temporal's history", { tgt_uri: `sqlite:///${canaryDir}/.temporal/temporal.db` }],
    ['target: a job store', { tgt_uri: `sqlite:///${canaryDir}/jobs/copy-jobs.sqlite` }],
    ['target: the secret key', { tgt_uri: `sqlite:///${canaryDir}/secret.key` }],
    ['target: through a symlinked folder in staging', { tgt_uri: `sqlite:///${stagingDir}/escape/lynx_canaria_core_110_9.sqlite` }],
    ['target: up and out of staging', { tgt_uri: `sqlite:///${stagingDir}/../canary/lynx_canaria_core_110_9.sqlite` }],
    ['target: the source server', { src_uri: mariadbUri(source, 'canary_core_110_2'), tgt_uri: mariadbUri(source, 'canary_core_110_2') }],
    ['target: a canary on the staging server under another name', { tgt_uri: mariadbUri(staging, 'canary_core_110_1') }],
    [
      'target: the staging server for a SQLite source of the same name, not configured for it',
      { tgt_uri: mariadbUri(staging, 'lynx_canaria_core_110_9') },
    ],
    ['source name that closes a quote', { src_uri: mariadbUri(source, "x'; DROP DATABASE canary_core_110_2; --") }],
    ['source name that is an option', { src_uri: mariadbUri(source, '--all-databases') }],
    ['source name that is ..', { src_uri: `sqlite:///${canaryDir}/...sqlite` }],
  ];
  const answers: Array<[string, number]> = [];
  for (const [name, change] of attacks) {
    const res = await h.submit(spec(src, change));
    answers.push([name, res.statusCode]);
  }
  // A symlink in staging posing as a target file.
  answers.push([
    'target: a symlink in staging',
    (
      await h.submit(
        spec(`sqlite:///${canaryDir}/lynx_canaria_core_110_9.sqlite`, { tgt_uri: `sqlite:///${stagingDir}/linked_core_110_1.sqlite` }),
      )
    ).statusCode,
  ]);
  // The copy service itself, called directly with its token: refused on its own.
  for (const [name, target] of [
    ['direct: the canary file', `sqlite:///${canaryDir}/lynx_canaria_core_110_9.sqlite`],
    ['direct: the canary database on the source server', mariadbUri(source, 'canary_core_110_2')],
  ] as const) {
    const res = await fetch(`${stack.urls.copy}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        source_db_uri: src.startsWith('sqlite') && target.startsWith('mysql') ? mariadbUri(source, 'canary_core_110_2') : src,
        target_db_uri: target,
        drop: true,
      }),
    });
    answers.push([name, res.status]);
  }
  const direct = await fetch(`${stack.urls.copy}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  answers.push(['direct: no token', direct.status]);

  const stopped = answers.filter(([, status]) => status >= 400 && status < 500);
  console.log(
    `canary attacks: ${answers.length} tried, ${stopped.length} stopped, ${answers.filter(([, s]) => s >= 500).length} answered ` +
      `5xx\n${answers.map(([n, s]) => `  ${s}  ${n}`).join('\n')}`,
  );
  expect(stopped).toHaveLength(answers.length);

  // A real handover beside the attacks: the system works, and writes only into staging.
  const legit = await h.submit(spec(src));
  expect(legit.statusCode).toBe(201);
  await h.waitForStatus(legit.json.token, 'completed', 120_000);
  expect(statSync(path.join(stagingDir, 'lynx_canaria_core_110_9.sqlite')).isFile()).toBe(true);

  const after = await canaryState();
  const changed = Object.keys({ ...before, ...after }).filter((k) => before[k] !== after[k]);
  console.log(`canary tree: ${Object.keys(before).length} files and tables checksummed, ${changed.length} changed`);
  expect(changed).toEqual([]);
});

test('a replacement cancelled mid-copy leaves the previous staging copy exactly as it was', async () => {
  // MariaDB, large enough that the copy runs for seconds: the cancel lands inside it.
  const name = 'danio_rerio_core_110_99';
  await createDemoDatabase(mariadbUri(source, name), { genes: 60_000 });
  const first = await h.submit(spec(mariadbUri(source, name)));
  await h.waitForStatus(first.json.token, 'completed', 300_000);
  const previous = await tableChecksums(staging, name);
  expect(Object.keys(previous).length).toBeGreaterThan(3);

  // (The first's lock closes a moment after its last step: until then a second submission is a 409.)
  const again = await waitFor(
    async () => {
      const res = await h.submit(spec(mariadbUri(source, name), { comment: 'again' }));
      return res.statusCode === 409 ? undefined : res;
    },
    30_000,
    'the lock to be released',
  );
  await waitFor(async () => (await h.progress(again.json.token)).step === 'copy' || undefined, 120_000, 'the copy step');
  await h.app.inject({ method: 'POST', url: `/handovers/${again.json.token}/cancel`, payload: { reason: 'mid-copy' } });
  const cancelled = await h.waitForStatus(again.json.token, 'cancelled', 120_000);
  expect(cancelled.timeline.find((t) => t.step === 'copy')?.outcome).toBe('cancelled');
  expect(await tableChecksums(staging, name)).toEqual(previous);
  // No temporary or backup schema is left behind.
  const conn = await connect(staging);
  try {
    const [schemas] = await conn.query("SELECT SCHEMA_NAME AS s FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'handover\\_%'");
    expect(schemas).toEqual([]);
  } finally {
    await conn.end();
  }
}, 600_000);

async function tableChecksums(m: MariaDbSettings, database: string): Promise<Record<string, string>> {
  const conn = await connect(m);
  try {
    const [tables] = await conn.query('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY 1', [
      database,
    ]);
    const out: Record<string, string> = {};
    for (const { t } of tables as Array<{ t: string }>) {
      const [rows] = await conn.query(`CHECKSUM TABLE \`${database}\`.\`${t}\``);
      out[t] = String((rows as Array<{ Checksum: number }>)[0].Checksum);
    }
    return out;
  } finally {
    await conn.end();
  }
}
