/** The `handover` command, run as a child process (bin/handover.cjs) against the API on a real port. */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Harness, spec, startHarness } from '../helpers/harness';

const BIN = path.resolve(__dirname, '../../bin/handover.cjs');
let h: Harness;
let api: string;

beforeAll(async () => {
  h = await startHarness();
  api = await h.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => h?.stop());
beforeEach(() => h.jobs.reset());

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, HANDOVER_API_URL: api } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('submit, then watch to the end; status and list show it', async () => {
  const src = h.sqliteSource('cli_core_110_1');
  const submitted = await cli(
    'submit',
    '--src',
    src,
    '--contact',
    'cli@example.org',
    '--type',
    'New_Assembly',
    '--comment',
    'from the CLI',
  );
  expect(submitted.code).toBe(0);
  const token = submitted.stdout.trim();
  expect(token).toMatch(/^[0-9a-f-]{36}$/);

  const watched = await cli('watch', token, '--interval', '0.3');
  expect(watched.code).toBe(0);
  expect(watched.stdout).toContain(`${token}  completed  [##############################] 5/5`);
  for (const step of ['checking', 'healthcheck', 'copy', 'metadata', 'event'])
    expect(watched.stdout).toMatch(new RegExp(`  ${step} +passed`));

  const status = await cli('status', token, '--json');
  expect(JSON.parse(status.stdout)).toMatchObject({
    token,
    status: 'completed',
    update_type: 'new_assembly',
    database_type: 'core',
    spec: { contact: 'cli@example.org' },
  });
  expect((await cli('status', token)).stdout).toMatch(/update new_assembly +database core/);
  const listed = await cli('list', '--contact', 'cli@example.org');
  expect(listed.stdout.split('\n')[0]).toMatch(/^TOKEN +SUBMITTED +DATABASE +CONTACT +DB_TYPE +UPDATE_TYPE +STATUS +STEP$/);
  expect(listed.stdout).toMatch(new RegExp(`${token} .* cli_core_110_1 +cli@example.org +core +new_assembly +completed +done`));
  expect(JSON.parse((await cli('list', '--json', '--update-type', 'new_assembly', '--contact', 'cli@example.org')).stdout)).toEqual([
    expect.objectContaining({ token }),
  ]);
  expect(JSON.parse((await cli('list', '--json', '--update-type', 'patch', '--contact', 'cli@example.org')).stdout)).toEqual([]);
  expect(JSON.parse((await cli('list', '--json', '--database', 'cli_core_110_1')).stdout)).toEqual([expect.objectContaining({ token })]);

  const reports = (await cli('reports', token)).stdout.trim().split('\n');
  expect(reports[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} {2}INFO {3}Checking the source database$/);
  expect(reports.at(-1)).toMatch(/ {2}INFO {3}Handover successful: cli_core_110_1 is on staging at /);
  expect(JSON.parse((await cli('reports', token, '--json')).stdout)).toHaveLength(reports.length);
});

test('cancel and restart', async () => {
  h.jobs.scripts.copy.runningPolls = 100_000;
  const { json } = await h.submit(spec(h.sqliteSource('cli_cancel_core_110_1')));
  await new Promise((r) => setTimeout(r, 1500));
  expect((await cli('cancel', json.token, '--reason', 'testing', '--by', 'cli-test')).stdout).toContain(`cancelling ${json.token}`);
  const watched = await cli('watch', json.token, '--interval', '0.3');
  expect(watched.code).toBe(3);
  expect(watched.stdout).toContain('cancelled by cli-test: testing');

  h.jobs.scripts.copy.runningPolls = 1;
  const restarted = await cli('restart', json.token);
  expect(restarted.code).toBe(0);
  const again = restarted.stdout.trim();
  expect((await cli('watch', again, '--interval', '0.3')).code).toBe(0);
});

test('batch from a file of source URIs, followed to the counts', async () => {
  const file = `${h.dir}/batch.txt`;
  writeFileSync(
    file,
    ['# databases for release 110', h.sqliteSource('cli_batch_a_core_110_1'), h.sqliteSource('cli_batch_b_core_110_1'), ''].join('\n'),
  );
  const untyped = await cli('batch', file, '--contact', 'batch-cli@example.org');
  expect(untyped.code).toBe(1);
  expect(untyped.stderr).toContain('--type <update type> is required');
  const run = await cli('batch', file, '--contact', 'batch-cli@example.org', '--type', 'patch', '--wait');
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/^batch batch-[0-9a-f-]{36}: 2 handover\(s\)$/m);
  expect(run.stdout).toMatch(/cli_batch_a_core_110_1 +completed/);
  expect(run.stdout).toContain('2 completed, 0 failed, 0 cancelled, 0 rejected, 0 locked');
});

test('errors: a clear message, field by field, and a non-zero exit', async () => {
  const bad = await cli('submit', '--src', 'postgres://h/db', '--contact', 'nope', '--type', 'core', '--comment', 'x');
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain('handover: invalid body');
  expect(bad.stderr).toContain('  src_uri: has unsupported scheme "postgres" (use mysql or sqlite)');
  expect(bad.stderr).toContain('  contact: must be an email address');
  expect(bad.stderr).toContain('  type: must be one of new_assembly, new_genebuild, patch, other');

  const missing = await cli('status', 'no-such-token');
  expect(missing).toMatchObject({ code: 4, stderr: 'handover: no handover with token no-such-token\n' });

  const unreachable = await cli('--api', 'http://127.0.0.1:1', 'list');
  expect(unreachable.code).toBe(1);
  expect(unreachable.stderr).toMatch(/^handover: cannot reach the Handover API at http:\/\/127.0.0.1:1 .*; set --api or HANDOVER_API_URL/);

  const usage = await cli('submit', '--src', 'x');
  expect(usage.code).toBe(1);
  expect(usage.stderr).toContain("required option '--contact <email>' not specified");
});

/** Code points a terminal acts on: C0 but newline, DEL and C1 (ESC, BEL, CSI...), and the bidi overrides. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;
const HOSTILE = '\x1b[2J\x1b]0;pwned\x07\r\bover\x9b31m\x7f\u202egnp.exe\nFAKE LINE';

test('text from data reaches the terminal with no control character: a hostile comment, failure text and token', async () => {
  h.jobs.scripts.copy.outcome = 'failed';
  h.jobs.scripts.copy.failureMessage = `disk full ${HOSTILE}`;
  const { json } = await h.submit(
    spec(h.sqliteSource('cli_hostile_core_110_1'), { comment: `my comment ${HOSTILE}`, contact: 'hostile-cli@example.org' }),
  );
  const outputs = [
    await cli('watch', json.token, '--interval', '0.3'),
    await cli('status', json.token),
    await cli('status', json.token, '--json'),
    await cli('list', '--contact', 'hostile-cli@example.org'),
    await cli('reports', json.token),
    await cli('reports', json.token, '--json'),
    await cli('status', 'no-such-\x1b]0;pwned\x07'),
  ];
  for (const { stdout, stderr } of outputs) {
    expect([stdout.match(CONTROL), stderr.match(CONTROL)]).toEqual([null, null]);
  }
  const [watched, status, asJson] = outputs;
  expect(watched.code).toBe(3);
  // The data is shown, its controls written out; the newline in it does not start a line of its own.
  const shown = '\\x1b[2J\\x1b]0;pwned\\x07\\x0d\\x08over\\x9b31m\\x7f\\u202egnp.exe\\x0aFAKE LINE';
  expect(watched.stdout).toContain(`disk full ${shown}`);
  expect(status.stdout).toContain(`  comment  my comment ${shown}`);
  expect(status.stdout).not.toMatch(/^FAKE LINE/m);
  // --json keeps the data exact for programs.
  expect((JSON.parse(asJson.stdout) as { spec: { comment: string } }).spec.comment).toBe(`my comment ${HOSTILE}`);
  expect(outputs[6]).toMatchObject({ code: 4, stderr: 'handover: no handover with token no-such-\\x1b]0;pwned\\x07\n' });
});
