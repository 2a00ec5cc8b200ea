/**
 * The answers' shapes are declared once, as zod schemas (api/schemas.ts, vocabulary/answers.ts), and
 * reach the CLI, the pages and the workflows as types only. These follow the import graph's value edges
 * (type-only imports are erased when compiled) from each of them, to show that none of them loads zod or
 * the schemas: the CLI stays light, the workflow sandbox stays free of the API's code.
 */
import path from 'node:path';
import { type ImportEdge, importGraph, readSourceTree } from './import-graph';

const tree = readSourceTree(path.resolve(__dirname, '../..'));
const edges = importGraph(tree);

/** What loading `start` (every file under the folder, or the one file) loads at run time: project files and packages. */
function loadedAtRunTime(start: string): { files: Set<string>; packages: Set<string> } {
  const byFile = new Map<string, ImportEdge[]>();
  for (const edge of edges) if (!edge.typeOnly) byFile.set(edge.from, [...(byFile.get(edge.from) ?? []), edge]);
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [...tree.sources.keys()].filter((file) => (start.endsWith('/') ? file.startsWith(start) : file === start));
  for (let file = todo.pop(); file !== undefined; file = todo.pop()) {
    if (files.has(file)) continue;
    files.add(file);
    for (const edge of byFile.get(file) ?? []) {
      if (edge.package) packages.add(edge.package);
      else if (edge.to) todo.push(edge.to);
    }
  }
  return { files, packages };
}

test('the CLI imports the published types but loads no zod and no schema at run time', () => {
  expect(edges).toContainEqual(expect.objectContaining({ from: 'cli/api-client.ts', to: 'api/types.ts', typeOnly: true }));
  expect(edges).toContainEqual(expect.objectContaining({ from: 'api/types.ts', to: 'api/schemas.ts', typeOnly: true }));
  const { files, packages } = loadedAtRunTime('cli/');
  expect([...packages].filter((p) => p === 'zod' || p.startsWith('fastify'))).toEqual([]);
  expect([...files].filter((f) => f === 'api/schemas.ts' || f === 'vocabulary/answers.ts')).toEqual([]);
});

test('the workflows take the shapes as types from vocabulary/shapes.ts and load no zod', () => {
  expect(edges).toContainEqual(expect.objectContaining({ from: 'vocabulary/shapes.ts', to: 'vocabulary/answers.ts', typeOnly: true }));
  const { files, packages } = loadedAtRunTime('workflows/');
  expect(files.has('vocabulary/shapes.ts')).toBe(true);
  expect(packages.has('zod')).toBe(false);
  expect(files.has('vocabulary/answers.ts')).toBe(false);
});

test('the API does load the schemas: the check above would see a value import', () => {
  const { files, packages } = loadedAtRunTime('api/app.ts');
  expect(files.has('vocabulary/answers.ts')).toBe(true);
  expect(packages.has('zod')).toBe(true);
});
