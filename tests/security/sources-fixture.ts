/**
 * The shared part of the source tests (sources-servers.test.ts, sources-files.test.ts, sources-local-stack.test.ts):
 * sources only where they are allowed, on the real API (real Temporal, real MariaDB, real files) and the real local
 * stack. Each test file makes its own folders (sourceFolders, at load; fillSourceFolders, in its beforeAll) and starts
 * its own harness (startSourcesHarness).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApp } from '../../api/app';
import { loadConfig } from '../../common/config';
import { createSealer } from '../../common/secrets';
import { metaOnlySqlite } from '../helpers/databases';
import { type Harness, mariadbSettings, mariadbUri, spec, startHarness } from '../helpers/harness';

export const source = mariadbSettings('source');
export const staging = mariadbSettings('staging');
export const temporalPort = Number(process.env.TEST_TEMPORAL_ADDRESS!.split(':').pop());

export interface SourceFolders {
  base: string;
  /** The one source folder; `outside` is next to it, not in it. */
  roots: string;
  outside: string;
  fifo: string;
}

/** A new temporary folder holding the source folder `roots` and `outside`. */
export function sourceFolders(): SourceFolders {
  const base = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sources-test-')));
  const roots = path.join(base, 'roots');
  const outside = path.join(base, 'outside');
  mkdirSync(roots);
  mkdirSync(outside);
  return { base, roots, outside, fifo: path.join(roots, 'fifo_core_110_1.sqlite') };
}

/** A FIFO in the roots, a database outside them, and a symlink out of them (to the file, and to the folder). */
export function fillSourceFolders({ roots, outside, fifo }: SourceFolders): void {
  execFileSync('mkfifo', [fifo]);
  metaOnlySqlite(path.join(outside, 'outside_core_110_1.sqlite'));
  symlinkSync(path.join(outside, 'outside_core_110_1.sqlite'), path.join(roots, 'link_core_110_1.sqlite'));
  symlinkSync(outside, path.join(roots, 'linked'));
}

/** The API with the roots as its source folder and the suite's source MariaDB as its source server. */
export async function startSourcesHarness(roots: string): Promise<Harness> {
  return startHarness({
    HANDOVER_SOURCE_ROOTS: roots,
    HANDOVER_SOURCE_SERVERS: `${source.host}:${source.port}`,
    // MySQL sources go to the staging MariaDB (the default staging place is a folder).
    HANDOVER_STAGING_RULES: JSON.stringify([{ pattern: '^(sources_alias|homo_sapiens)_', staging_uri: mariadbUri(staging) }]),
  });
}

export type Answer = { statusCode: number; json: { error?: string; issues?: Array<{ field: string; message: string }>; token?: string } };

/** A refusal of src_uri: 400, the field named, the reason matching `why`, nothing started. */
export async function refused(answer: Answer | Promise<Answer>, why: RegExp, field = 'src_uri') {
  const { statusCode, json } = await answer;
  expect({ statusCode, field: json.issues?.[0]?.field }).toEqual({ statusCode: 400, field });
  expect(json.issues?.[0]?.message).toMatch(why);
  return json.issues![0].message;
}

export const submitTo = (h: Harness, src_uri: string) => h.submit(spec(src_uri)) as Promise<Answer>;

/** The API with other settings, on the same Temporal and job services. */
export async function appWith(h: Harness, env: Record<string, string>) {
  const config = loadConfig({ ...h.env, ...env });
  return buildApp({ client: h.client, config, sealer: createSealer(config.HANDOVER_SECRET_KEY) });
}
