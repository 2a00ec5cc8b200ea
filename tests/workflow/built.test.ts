/**
 * `npm run build`: the worker and the API compiled to JavaScript (dist/js/) and the workflow bundle (dist/),
 * run with plain node as `npm run worker:built` and `npm run api:built` do. A handover submitted to the
 * compiled API completes on the compiled worker; both print their start-up time.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { type Harness, spec, startHarness } from '../helpers/harness';
import { freePort } from '../helpers/ports';
import { killWorkerProcesses, startWorkerProcess } from '../helpers/worker-process';
import { waitFor } from '../helpers/wait';

const ROOT = path.resolve(__dirname, '../..');
let h: Harness;
let api: ChildProcess | undefined;

beforeAll(async () => {
  h = await startHarness({}, { worker: false });
  execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'ignore', timeout: 180_000 });
}, 240_000);
afterAll(async () => {
  api?.kill('SIGKILL');
  await killWorkerProcesses();
  await h?.stop();
});

test('the compiled worker (from the prebuilt bundle) and the compiled API run a handover', async () => {
  const worker = await startWorkerProcess(
    { ...h.env, HANDOVER_WORKFLOW_BUNDLE: path.join(ROOT, 'dist/workflow-bundle.js') },
    { args: ['dist/js/worker/main.js'] },
  );
  expect(worker.output()).toMatch(/workflows from the bundle \S+dist\/workflow-bundle\.js; started in \d+ ms/);

  const port = await freePort();
  const child = spawn(process.execPath, ['dist/js/api/main.js'], {
    cwd: ROOT,
    env: { ...process.env, ...h.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  api = child;
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  await waitFor(
    () => /Handover API on \S+ .*; started in \d+ ms/.test(output),
    60_000,
    () => `the compiled API to start: ${output}`,
  );
  console.log(`found: ${/started in \d+ ms/.exec(worker.output())![0]} (worker), ${/started in \d+ ms/.exec(output)![0]} (API)`);

  const res = await fetch(`http://127.0.0.1:${port}/handovers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec(h.sqliteSource('built_core_110_1'))),
  });
  const { token } = (await res.json()) as { token: string };
  expect(res.status).toBe(201);
  const done = await h.waitForStatus(token, 'completed');
  expect(done.timeline.map((t) => t.outcome)).toEqual(['passed', 'passed', 'passed', 'passed', 'passed']);
  const page = await fetch(`http://127.0.0.1:${port}/ui/handover.html`);
  expect(page.status).toBe(200); // the pages are found from the compiled API too

  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
});
