/**
 * The local stack's job services check their own list of sources (the shared part is in sources-fixture.ts):
 * Temporal's port, an unlisted server, a file outside the source folders, a symlink out and a FIFO are refused by the
 * healthcheck and the copy; a listed source is taken.
 */
import path from 'node:path';
import { openDatabase } from '../../services/db/database';
import { type LocalStack, startLocalStack } from '../../services/stack';
import { metaOnlySqlite } from '../helpers/databases';
import { fillSourceFolders, source, sourceFolders, staging, temporalPort } from './sources-fixture';

const { base, roots, outside, fifo } = sourceFolders();

beforeAll(() => {
  fillSourceFolders({ base, roots, outside, fifo });
});

describe('the local stack checks its own list', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({
      dataDir: path.join(base, 'stack'),
      ports: { healthcheck: 0, copy: 0, metadata: 0, event: 0 },
      targetRoots: [`sqlite:///${base}/staging/`],
      sourceRoots: [`sqlite:///${roots}/`, `mysql://${source.host}:${source.port}/`],
    });
  });
  afterAll(async () => stack?.close());

  const post = async (service: 'healthcheck' | 'copy', body: object) => {
    const res = await fetch(`${stack.urls[service]}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, text: await res.text() };
  };

  test.each([
    ["Temporal's port", `mysql://x@127.0.0.1:${temporalPort}/homo_sapiens_core_110_38`, /is not a source server/],
    ['an unlisted server', `mysql://root@${staging.host}:${staging.port}/homo_sapiens_core_110_38`, /is not a source server/],
    ['a file outside the roots', `sqlite:///${outside}/outside_core_110_1.sqlite`, /is not inside a source folder/],
    ['a symlink out', `sqlite:///${roots}/link_core_110_1.sqlite`, /is not inside a source folder/],
    ['a FIFO', `sqlite:///${fifo}`, /is a FIFO/],
  ])('%s: refused by the healthcheck (db_uri) and the copy (source_db_uri), 400', async (_name, uri, why) => {
    const hc = await post('healthcheck', { db_uri: uri, tag: 't' });
    expect(hc.status).toBe(400);
    expect(hc.text).toMatch(/db_uri: /);
    expect(hc.text).toMatch(why);
    const copy = await post('copy', { source_db_uri: uri, target_db_uri: `sqlite:///${base}/staging/homo_sapiens_core_110_38.sqlite` });
    expect(copy.status).toBe(400);
    expect(copy.text).toMatch(/source_db_uri: /);
    if (!uri.startsWith('mysql')) expect(copy.text).toMatch(why);
  });

  test('a listed source is taken; a FIFO opened by the services is refused promptly, the event loop ticking', async () => {
    const ok = await post('healthcheck', { db_uri: metaOnlySqlite(path.join(roots, 'stack_core_110_1.sqlite')), tag: 't' });
    expect(ok.status).toBe(201);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      await expect(openDatabase(`sqlite:///${fifo}`)).rejects.toThrow(/is a FIFO, not a regular file/);
      await new Promise((r) => setTimeout(r, 50));
      expect(ticks).toBeGreaterThan(0);
    } finally {
      clearInterval(timer);
    }
  });
});
