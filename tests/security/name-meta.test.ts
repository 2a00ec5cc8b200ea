/**
 * A source's meta cannot retire another team's records: a whole handover on the real Temporal server
 * through the local stack, of mus_musculus_core_110_39 whose meta says homo_sapiens, ends failed at the
 * healthcheck with the reason; nothing is copied, and homo_sapiens keeps its current record.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createDemoDatabase } from '../../services/demo';
import { type LocalStack, startLocalStack } from '../../services/stack';
import { type Harness, serviceUrlsEnv, spec, startHarness } from '../helpers/harness';
import { testStackSourceRoots } from '../helpers/sources';

let stack: LocalStack;
let h: Harness;
let stagingDir: string;

beforeAll(async () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'handover-name-meta-e2e-'));
  stagingDir = path.join(base, 'staging');
  stack = await startLocalStack({
    sourceRoots: testStackSourceRoots(),
    dataDir: path.join(base, 'services'),
    ports: { healthcheck: 0, copy: 0, metadata: 0, event: 0 },
    targetRoots: [`sqlite:///${stagingDir}/`],
  });
  h = await startHarness({ ...serviceUrlsEnv(stack.urls), HANDOVER_STAGING_URI: `sqlite:///${stagingDir}/` });
});
afterAll(async () => {
  await h?.stop();
  await stack?.close();
});

const records = () => (stack.services.metadata as unknown as { metadata: { all(): Array<Record<string, unknown>> } }).metadata.all();

test(
  'a mus_musculus database whose meta says homo_sapiens fails at the healthcheck with that reason; ' + 'the human record stays current',
  async () => {
    const human = `sqlite:///${h.dir}/homo_sapiens_core_110_38.sqlite`;
    await createDemoDatabase(human, { genes: 100 });
    const first = await h.submit(spec(human));
    expect(first.statusCode).toBe(201);
    await h.waitForStatus(first.json.token, 'completed', 120_000);
    expect(records().filter((r) => r.species === 'homo_sapiens')).toEqual([
      expect.objectContaining({ name: 'homo_sapiens_core_110_38', current: 1 }),
    ]);

    const mouse = `sqlite:///${h.dir}/mus_musculus_core_110_39.sqlite`;
    await createDemoDatabase(mouse, { genes: 100, assembly: 'GRCm39' });
    const db = new DatabaseSync(`${h.dir}/mus_musculus_core_110_39.sqlite`);
    db.exec("UPDATE meta SET meta_value = 'homo_sapiens' WHERE meta_key = 'species.production_name'");
    db.close();
    const { statusCode, json } = await h.submit(spec(mouse, { type: 'new_assembly' }));
    expect(statusCode).toBe(201);
    const done = await h.waitForStatus(json.token, 'failed', 120_000);
    const reason = 'the name says mus_musculus but meta species.production_name is homo_sapiens';
    expect(done.failure).toMatchObject({
      step: 'healthcheck',
      kind: 'problems',
      checks: [{ check: 'NameMatchesMeta', messages: [reason] }],
    });
    expect(done.events ?? []).toEqual([]);
    const mail = await h.smtp.waitForSubject('mus_musculus_core_110_39');
    expect(mail.subject).toBe('Handover of mus_musculus_core_110_39 failed: healthchecks found problems');
    expect(mail.text).toContain(`NameMatchesMeta: ${reason}`);

    expect(existsSync(`${stagingDir}/mus_musculus_core_110_39.sqlite`)).toBe(false);
    expect(records().filter((r) => r.species === 'homo_sapiens')).toEqual([
      expect.objectContaining({ name: 'homo_sapiens_core_110_38', current: 1 }),
    ]);
    expect(records().filter((r) => r.name === 'mus_musculus_core_110_39')).toEqual([]);
  },
);
