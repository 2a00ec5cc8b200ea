/** The submission rules and the visibility query, without Temporal or any server. */
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ANONYMOUS, type Caller } from '../../api/caller';
import { HandoverForbidden, HandoverNotRestartable, InvalidRequest } from '../../api/errors';
import { visibilityQuery } from '../../api/gateway';
import { submissionRules, upgraded } from '../../api/submission';
import { loadConfig } from '../../common/config';
import { createSealer } from '../../common/secrets';
import type { HandoverInput, HandoverProgress } from '../../vocabulary';

const dir = mkdtempSync(path.join(os.tmpdir(), 'submission-test-'));
mkdirSync(path.join(dir, 'staging'));
// Sources: this test's folder, and the (unstarted) servers its URIs name.
const config = loadConfig({
  HANDOVER_SECRET_KEY: 'unit-test-key-0123456789',
  HANDOVER_STAGING_URI: `sqlite:///${dir}/staging/`,
  HANDOVER_ALLOWED_TYPES: 'core',
  HANDOVER_SOURCE_ROOTS: dir,
  HANDOVER_SOURCE_SERVERS: '127.0.0.1:3307',
});
const sealer = createSealer(config.HANDOVER_SECRET_KEY);
const rules = submissionRules(config, sealer);
const alice: Caller = { name: 'alice', role: 'submit', authenticated: true };
const spec = (extra: object = {}) => ({
  src_uri: 'mysql://ro:Secret1@127.0.0.1:3307/homo_sapiens_core_110_38',
  contact: 'a@example.org',
  type: 'patch',
  comment: 'c',
  ...extra,
});

test('an admitted submission: recorded without passwords, sealed for its own token, locked on its canonical target', async () => {
  const prepared = await rules.prepare({ ...spec(), src_uri: `sqlite:///${dir}/homo_sapiens_core_110_38.sqlite` }, alice);
  if (!prepared.input) throw new Error('refused');
  const { input, lockId } = prepared;
  expect(input).toMatchObject({
    database: 'homo_sapiens_core_110_38',
    databaseType: 'core',
    submittedBy: 'alice',
    spec: { type: 'patch', tgt_uri: `sqlite:///${dir}/staging/homo_sapiens_core_110_38.sqlite` },
  });
  expect(lockId).toBe(`handover-lock:sqlite:${dir}/staging/homo_sapiens_core_110_38.sqlite`);
  expect(input.sealed).toEqual({ src_uri: undefined, tgt_uri: undefined });
});

test('a password is sealed, bound to the token and the recorded URI; the recorded spec has none', async () => {
  const mysql = loadConfig({
    ...config,
    HANDOVER_STAGING_URI: 'mysql://rw:Secret2@127.0.0.1:3306/',
    HANDOVER_SECRET_KEY: 'unit-test-key-0123456789',
  } as never);
  const prepared = await submissionRules(mysql, sealer).prepare(
    spec({ src_uri: 'mysql://ro:Secret1@127.0.0.1:3307/homo_sapiens_core_110_38' }),
    ANONYMOUS,
  );
  const input = prepared.input!;
  expect(JSON.stringify(input.spec)).not.toContain('Secret');
  expect(input.submittedBy).toBeUndefined();
  expect(sealer.unseal(input.sealed.tgt_uri!, { token: input.token, uri: input.spec.tgt_uri })).toBe(
    'mysql://rw:Secret2@127.0.0.1:3306/homo_sapiens_core_110_38',
  );
  expect(() => sealer.unseal(input.sealed.src_uri!, { token: 'another', uri: input.spec.src_uri })).toThrow('do not open');
});

test('a refusal is made ready to keep, its long fields clipped; a bad target is a 400 naming tgt_uri', async () => {
  const refused = await rules.prepare(spec({ src_uri: 'mysql://127.0.0.1:3307/scratch_db', comment: 'x'.repeat(2000) }), alice);
  expect(refused.refusal).toMatchObject({
    database: 'scratch_db',
    database_type: 'unknown',
    update_type: 'patch',
    submitted_by: 'alice',
    field: 'src_uri',
  });
  expect(refused.refusal!.spec.comment).toHaveLength(200);
  await expect(rules.prepare(spec({ tgt_uri: 'mysql://rw@10.1.2.3:3306/homo_sapiens_core_110_38' }), alice)).rejects.toThrow(
    InvalidRequest,
  );
  await expect(rules.prepare(spec({ tgt_uri: 'mysql://rw@10.1.2.3:3306/homo_sapiens_core_110_38' }), alice)).rejects.toMatchObject({
    field: 'tgt_uri',
  });
});

test('who may act: a submit key on its own handovers only; operate on any', () => {
  expect(() => rules.mayActOn(alice, 'alice', 't')).not.toThrow();
  expect(() => rules.mayActOn(alice, 'bob', 't')).toThrow(HandoverForbidden);
  expect(() => rules.mayActOn(alice, undefined, 't')).toThrow(HandoverForbidden);
  expect(() => rules.mayActOn({ name: 'ops', role: 'operate', authenticated: true }, 'bob', 't')).not.toThrow();
  expect(() => rules.mayActOn(ANONYMOUS, undefined, 't')).not.toThrow();
});

test('a restart begins at the step that failed; it may not skip a step that did not pass', () => {
  const failedAtCopy = {
    token: 't',
    status: 'failed',
    failure: { step: 'copy', kind: 'error', reason: 'x' },
    timeline: [
      { step: 'checking', outcome: 'passed' },
      { step: 'healthcheck', outcome: 'passed' },
      { step: 'copy', outcome: 'failed' },
    ],
  } as unknown as HandoverProgress;
  expect(rules.restartFrom(failedAtCopy, undefined)).toBe('copy');
  expect(rules.restartFrom(failedAtCopy, 'healthcheck')).toBe('healthcheck');
  expect(() => rules.restartFrom(failedAtCopy, 'metadata')).toThrow('cannot skip the copy step: it did not pass in handover t');
  expect(() => rules.restartFrom({ ...failedAtCopy, status: 'running' }, undefined)).toThrow(HandoverNotRestartable);
  expect(() => rules.restartFrom({ ...failedAtCopy, status: 'rejected' }, undefined)).toThrow('submit it again instead');
});

test("a handover recorded when type was the database type is read in today's shape", () => {
  const old = { spec: { type: 'core' } } as HandoverInput;
  expect(upgraded(old)).toMatchObject({ databaseType: 'core', spec: { type: 'other' } });
  const today = { spec: { type: 'patch' }, databaseType: 'core' } as HandoverInput;
  expect(upgraded(today)).toBe(today);
});

test('the visibility query quotes and escapes every value', () => {
  expect(visibilityQuery({})).toBe("WorkflowType = 'handoverWorkflow'");
  expect(visibilityQuery({ status: 'failed', database: "a'b", contact: 'c\\', type: 'core', update_type: 'patch' })).toBe(
    "WorkflowType = 'handoverWorkflow' AND HandoverStatus = 'failed' AND HandoverDatabase = 'a\\'b' AND HandoverContact = 'c\\\\' AND " +
      "HandoverType = 'core' AND HandoverUpdateType = 'patch'",
  );
});
