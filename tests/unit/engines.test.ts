/**
 * No engine warnings on the Node.js versions the README supports: the machine's Node 20 (npm and the
 * command-line client) and the Node 24 that npm scripts run on. npm warns for every installed package
 * (this one included) whose `engines.node` a version does not satisfy.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';

const ROOT = path.resolve(__dirname, '../..');
const SUPPORTED = ['20.19.0', '24.0.0'];

function packageFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const folder = path.join(dir, entry.name);
    if (entry.name.startsWith('@')) files.push(...packageFiles(folder));
    else {
      files.push(path.join(folder, 'package.json'));
      try {
        files.push(...packageFiles(path.join(folder, 'node_modules')));
      } catch {
        // no nested node_modules
      }
    }
  }
  return files;
}

test('every installed package, and this one, accepts the supported Node.js versions', () => {
  const files = [path.join(ROOT, 'package.json'), ...packageFiles(path.join(ROOT, 'node_modules'))];
  expect(files.length).toBeGreaterThan(300);
  const refusals: string[] = [];
  for (const file of files) {
    let pkg: { name?: string; version?: string; engines?: { node?: string } };
    try {
      pkg = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      continue; // a folder that is not a package
    }
    const range = pkg.engines?.node;
    if (!range) continue;
    for (const version of SUPPORTED) {
      if (!semver.satisfies(version, range)) refusals.push(`${pkg.name}@${pkg.version} wants node ${range}, not ${version}`);
    }
  }
  expect(refusals).toEqual([]);
});
