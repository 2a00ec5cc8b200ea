/** The search attributes temporal-dev.sh registers (`Name=Type`), read from the script itself. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export function registeredSearchAttributes(): string[] {
  const script = readFileSync(path.resolve(__dirname, '../../temporal-dev.sh'), 'utf8');
  const line = script.match(/^SEARCH_ATTRIBUTES=\((.*)\)$/m);
  if (!line) throw new Error('temporal-dev.sh has no SEARCH_ATTRIBUTES=(...) line');
  return line[1].trim().split(/\s+/);
}
