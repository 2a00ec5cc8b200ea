/**
 * Source files only where they are allowed, on the real API (real Temporal, real files); the shared part is in
 * sources-fixture.ts. Files outside the source folders, `..` and symlinks out, Handover's own state, a FIFO, a folder
 * and a device are each refused (400 naming the field) before anything starts; a file inside is allowed.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { checkDatabaseExists } from '../../activities/databases';
import { PROJECT_ROOT } from '../../common/project-paths';
import { metaOnlySqlite } from '../helpers/databases';
import { type Harness, spec } from '../helpers/harness';
import { appWith as appWithSettings, fillSourceFolders, refused, sourceFolders, startSourcesHarness, submitTo } from './sources-fixture';

const { base, roots, outside, fifo } = sourceFolders();

let h: Harness;
beforeAll(async () => {
  fillSourceFolders({ base, roots, outside, fifo });
  h = await startSourcesHarness(roots);
});
afterAll(async () => h?.stop());

const submit = (src_uri: string) => submitTo(h, src_uri);
const appWith = (env: Record<string, string>) => appWithSettings(h, env);

test('SQLite: outside the roots, `..`, a symlink out (file or folder): refused; a file inside: allowed', async () => {
  await refused(submit(metaOnlySqlite(path.join(outside, 'outside_core_110_1.sqlite'))), /not inside a source folder/);
  // The URL parser resolves `..` (plain or %2e-encoded): what is left is outside.
  await refused(submit(`sqlite:///${roots}/../outside/outside_core_110_1.sqlite`), /not inside a source folder/);
  await refused(submit(`sqlite:///${roots}/%2e%2e/outside/outside_core_110_1.sqlite`), /not inside a source folder/);
  await refused(submit(`sqlite:///${roots}/link_core_110_1.sqlite`), /not inside a source folder/);
  await refused(submit(`sqlite:///${roots}/linked/outside_core_110_1.sqlite`), /not inside a source folder/);
  mkdirSync(path.join(roots, 'nested'));
  const inside = metaOnlySqlite(path.join(roots, 'nested', 'inside_core_110_1.sqlite'));
  const res = await submit(inside);
  expect(res.statusCode).toBe(201);
  await h.waitForStatus(res.json.token!, 'completed');
});

test("Handover's own state as a source: refused even when its folder is listed", async () => {
  const wide = await appWith({ HANDOVER_SOURCE_ROOTS: PROJECT_ROOT });
  try {
    for (const file of ['.temporal/temporal.sqlite', '.handover/services/jobs/copy.sqlite', '.handover/secret.key']) {
      const res = await wide.inject({ method: 'POST', url: '/handovers', payload: spec(`sqlite:///${path.join(PROJECT_ROOT, file)}`) });
      await refused({ statusCode: res.statusCode, json: res.json() }, /one of Handover's own files/);
    }
  } finally {
    await wide.close();
  }
});

test('a FIFO, a folder or a device as a source: refused at submission, the API still answering', async () => {
  await refused(submit(`sqlite:///${fifo}`), /is a FIFO \(named pipe\), not a regular file/);
  mkdirSync(path.join(roots, 'folder_core_110_1.sqlite'));
  await refused(submit(`sqlite:///${roots}/folder_core_110_1.sqlite`), /is a folder, not a regular file/);
  const devices = await appWith({ HANDOVER_SOURCE_ROOTS: '/dev' });
  try {
    const res = await devices.inject({ method: 'POST', url: '/handovers', payload: spec('sqlite:////dev/zero') });
    await refused({ statusCode: res.statusCode, json: res.json() }, /is a device/);
  } finally {
    await devices.close();
  }
  // In a batch: the item is named.
  const batch = await h.app.inject({
    method: 'POST',
    url: '/batches',
    payload: {
      contact: 'b@example.org',
      handovers: [spec(metaOnlySqlite(path.join(roots, 'batch_core_110_1.sqlite'))), spec(`sqlite:///${fifo}`)],
    },
  });
  await refused({ statusCode: batch.statusCode, json: batch.json() }, /is a FIFO/, 'handovers.1.src_uri');
});

test("a FIFO reaching the worker's existence check is refused promptly; the event loop keeps ticking", async () => {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  try {
    await expect(checkDatabaseExists(`sqlite:///${fifo}`, 'the fifo')).rejects.toThrow(/is a FIFO/);
    await new Promise((r) => setTimeout(r, 50));
    expect(ticks).toBeGreaterThan(0);
  } finally {
    clearInterval(timer);
  }
});
