/** Targets only on staging: the submission-side check, on real folders, symlinks and host names. */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DbUriError, parseDbUri } from '../../common/db-uri';
import { confineTarget } from '../../common/staging';

const root = mkdtempSync(path.join(os.tmpdir(), 'staging-test-'));
const staging = path.join(root, 'staging');
const state = path.join(root, 'state');
mkdirSync(staging);
mkdirSync(state);
mkdirSync(path.join(root, 'elsewhere'));
symlinkSync(path.join(root, 'elsewhere'), path.join(staging, 'escape'));
symlinkSync(path.join(root, 'elsewhere', 'x_core_1_1.sqlite'), path.join(staging, 'linked_core_1_1.sqlite'));
writeFileSync(path.join(root, 'elsewhere', 'x_core_1_1.sqlite'), 'canary');
const places = { stagingUris: [`sqlite:///${staging}/`, 'mysql://admin@127.0.0.1:3306/'], protectedPaths: [state] };
const src = (name: string) => `sqlite:////data/${name}.sqlite`;

test('a SQLite target directly inside the staging folder, named as its source, is accepted in its real form', async () => {
  await expect(confineTarget(`sqlite:///${staging}/a_core_1_1.sqlite`, src('a_core_1_1'), places)).resolves.toBe(`sqlite:///${staging}/a_core_1_1.sqlite`);
  // Reached through a symlink to the staging folder: what is recorded (and locked) is the real path.
  symlinkSync(staging, path.join(root, 'staging-link'));
  await expect(confineTarget(`sqlite:///${root}/staging-link/a_core_1_1.sqlite`, src('a_core_1_1'), places)).resolves.toBe(`sqlite:///${staging}/a_core_1_1.sqlite`);
});

test.each([
  ['another folder', `sqlite:///${root}/elsewhere/a_core_1_1.sqlite`, 'is not directly inside a staging folder'],
  ['a sub-folder of staging', `sqlite:///${staging}/sub/a_core_1_1.sqlite`, 'is not directly inside a staging folder'],
  ['a symlinked folder that leads out', `sqlite:///${staging}/escape/a_core_1_1.sqlite`, 'is not directly inside a staging folder'],
  ['another name than the source', `sqlite:///${staging}/b_core_1_1.sqlite`, "must name the source's database a_core_1_1"],
  ['a file that is not .sqlite', `sqlite:///${staging}/a_core_1_1.db`, 'must be a .sqlite file'],
])('refuses %s', async (_name, target, why) => {
  await expect(confineTarget(target, src('a_core_1_1'), places)).rejects.toThrow(why);
});

test('refuses a target that is a symlink, and the project state even inside staging', async () => {
  await expect(confineTarget(`sqlite:///${staging}/linked_core_1_1.sqlite`, src('linked_core_1_1'), places)).rejects.toThrow('is a symbolic link');
  const inside = { ...places, protectedPaths: [path.join(staging, 'a_core_1_1.sqlite')] };
  await expect(confineTarget(`sqlite:///${staging}/a_core_1_1.sqlite`, src('a_core_1_1'), inside)).rejects.toThrow("is one of Handover's own files");
});

test('MySQL: the staging server whatever it is called; not another server; never the source itself', async () => {
  await expect(confineTarget(`sqlite:///${staging}/a_core_1_1.sqlite`, 'mysql://ro@db.example.org:3306/a_core_1_1', places)).rejects.toThrow('a copy stays on one engine');
  // Accepted in the configured server's own form: another name for it is recorded (and locked) as one.
  await expect(confineTarget('mysql://rw:pw@localhost:3306/a_core_1_1', 'mysql://ro@db.example.org:3306/a_core_1_1', places)).resolves.toBe('mysql://rw:pw@127.0.0.1:3306/a_core_1_1');
  await expect(confineTarget('mysql://rw@127.0.0.2:3306/a_core_1_1', 'mysql://ro@db.example.org:3306/a_core_1_1', places)).resolves.toBe('mysql://rw@127.0.0.1:3306/a_core_1_1');
  await expect(confineTarget('mysql://rw@127.0.0.1:3307/a_core_1_1', 'mysql://ro@db.example.org:3306/a_core_1_1', places)).rejects.toThrow('is not on a staging server');
  await expect(confineTarget('mysql://rw@10.11.12.13:3306/a_core_1_1', 'mysql://ro@db.example.org:3306/a_core_1_1', places)).rejects.toThrow('is not on a staging server');
  // The source on the staging server under another name for the same host: the target would be the source.
  await expect(confineTarget('mysql://rw@localhost:3306/a_core_1_1', 'mysql://ro@127.0.0.1:3306/a_core_1_1', places)).rejects.toThrow('is the source database itself');
});

test.each([
  ['a name with a quote', "mysql://h:3306/a'b"],
  ['a name with a backtick', 'mysql://h:3306/a%60b'],
  ['a name with a semicolon', 'mysql://h:3306/a%3BDROP'],
  ['a name beginning with --', 'mysql://h:3306/--all-databases'],
  ['a name of 65 characters', `mysql://h:3306/${'a'.repeat(65)}`],
  ['a unicode look-alike', 'mysql://h:3306/homo_sapiens_cоre_110_38'],
  ['a control character', 'mysql://h:3306/a%0Ab'],
  ['a name that is ..', 'sqlite:////srv/staging/...sqlite'],
  ['a name with a space', 'mysql://h:3306/a%20b'],
  ['an 80 KB URI', `mysql://h:3306/${'a'.repeat(80_000)}`],
  ['a malformed escape', 'mysql://h:3306/a%zz'],
])('a database URI with %s is refused, saying why', (_name, uri) => {
  expect(() => parseDbUri(uri)).toThrow(DbUriError);
});
