/**
 * The folders' boundaries (docs/ARCHITECTURE.md): data flows api → Temporal → workflows → activities → job
 * services, workflows stay sandbox-safe, the CLI knows the API only by its published types, the local
 * stack (services/) is a separate system, vocabulary/ is the leaf every layer may share, and core/ holds
 * what the handover and the stack must do the same way, defined nowhere else. The rules are data: change RULES to change the
 * architecture. A failure lists every edge that breaks a rule.
 */
import path from 'node:path';
import {
  type BoundaryRule,
  type OwnershipRule,
  checkBoundaries,
  checkOwnership,
  definitionsOf,
  describeViolation,
  importGraph,
  readSourceTree,
  virtualTree,
} from './import-graph';

const RULES: BoundaryRule[] = [
  {
    id: 'workflows-are-private',
    description:
      'nothing outside workflows/ imports from workflows/, except the worker (registers them), the Temporal gateway (typed handles) and ' +
      'tests',
    from: ['**'],
    exceptFrom: ['workflows/', 'worker/worker.ts', 'api/gateway.ts', 'api/gateway/', 'tests/'],
    forbid: ['workflows/'],
  },
  {
    id: 'workflows-import-no-io-layers',
    description:
      'workflows/ imports only workflows/ and vocabulary/ (sandbox-safe): nothing from activities/, api/, common/ (Node APIs), cli/, ' +
      'services/, worker/, not even types',
    from: ['workflows/'],
    allowOnly: ['workflows/', 'vocabulary/'],
  },
  {
    id: 'activities-import-no-upper-layers',
    description: 'activities/ imports nothing from api/, cli/, services/, workflows/',
    from: ['activities/'],
    forbid: ['api/', 'cli/', 'services/', 'workflows/'],
  },
  {
    id: 'cli-knows-only-published-types',
    description: "cli/ imports only from cli/ and api/types.ts (the API's published types), plus packages",
    from: ['cli/'],
    allowOnly: ['cli/', 'api/types.ts'],
  },
  {
    id: 'services-are-separate',
    description: "services/ (the local stack) imports nothing of the handover's code (core/, which both share, is not the handover's)",
    from: ['services/'],
    forbid: ['api/', 'common/', 'workflows/', 'activities/', 'worker/', 'cli/', 'vocabulary/'],
  },
  {
    id: 'core-is-a-shared-leaf',
    description:
      'core/ (what the handover and the local stack share) imports nothing of the project but itself, ' +
      'and no npm package (Node.js built-ins: sealing, DNS, real paths)',
    from: ['core/'],
    allowOnly: ['core/'],
    forbidPackages: ['npm:*'],
  },
  {
    id: 'pure-core-stays-pure',
    description: 'the pure concepts of core/ (identifiers and quoting, URI redaction) use no Node.js module either',
    from: ['core/names.ts', 'core/uris.ts'],
    allowOnly: ['core/names.ts', 'core/uris.ts'],
    forbidPackages: ['node:*'],
  },
  {
    id: 'vocabulary-is-a-sandbox-safe-leaf',
    description: 'vocabulary/ imports nothing of the project but itself, and no Node.js module (it is loaded in the workflow sandbox)',
    from: ['vocabulary/'],
    allowOnly: ['vocabulary/'],
    forbidPackages: ['node:*'],
  },
];

/** Each concept of the core, by the names it defines: nothing outside core/ defines one of them (it imports it). */
const CORE_CONCEPTS: Record<string, string[]> = {
  'core/db-uri.ts': [
    'DbUriError',
    'identifierProblem',
    'engineOfScheme',
    'readDbUri',
    'parseDbUri',
    'formatDbUri',
    'withoutPassword',
    'deriveTargetUri',
    'databaseKey',
  ],
  'core/uris.ts': ['MAX_URI_LENGTH', 'redactUris'],
  'core/names.ts': ['MAX_IDENTIFIER_LENGTH', 'isIdentifier', 'identifierFault', 'isQuotable', 'quotedName'],
  'core/secrets.ts': ['SEALED_OVERHEAD', 'sealBytes', 'openBytes', 'sha256Key', 'scryptKey'],
  'core/addresses.ts': ['plainAddress', 'isLoopbackAddress', 'isLoopbackHost', 'hostOfHeader', 'canonicalAddress', 'resolveHost'],
  'core/confine.ts': ['isWithin', 'realPathOrNone', 'realPath', 'kindOf', 'openedKind'],
};
const OWNERSHIP: OwnershipRule[] = [
  {
    id: 'one-core',
    description: 'neither the handover nor the local stack re-implements what core/ has: its names are defined only there (tests included)',
    owner: ['core/'],
    names: Object.values(CORE_CONCEPTS).flat(),
  },
];

const ROOT = path.resolve(__dirname, '../..');
const tree = readSourceTree(ROOT);
const edges = importGraph(tree);

test('the graph covers the project: every top-level folder with code, and the edges the worker depends on', () => {
  const folders = new Set([...tree.sources.keys()].map((f) => f.split('/')[0]));
  for (const folder of ['activities', 'api', 'cli', 'common', 'core', 'services', 'worker', 'workflows', 'tests'])
    expect(folders).toContain(folder);
  expect(edges.length).toBeGreaterThan(200);
  // worker/worker.ts registers the workflows by path (require.resolve) and wires the activities.
  expect(edges).toContainEqual(expect.objectContaining({ from: 'worker/worker.ts', to: 'workflows/index.ts', kind: 'require.resolve' }));
  expect(edges).toContainEqual(expect.objectContaining({ from: 'worker/worker.ts', to: 'activities/index.ts' }));
});

test.each(RULES.map((rule) => [`${rule.id}: ${rule.description}`, rule] as const))('%s', (_name, rule) => {
  // Each breaking edge on its own line: "file -> imported file  [rule]  (line N: 'specifier')".
  expect(checkBoundaries(edges, [rule]).map(describeViolation)).toEqual([]);
});

describe('the check can fail: a virtual back-edge is reported with its file and rule', () => {
  test('a workflow importing the activities, added to the real tree', () => {
    const withBackEdge = {
      ...tree,
      sources: new Map(tree.sources).set(
        'workflows/x.ts',
        "import { createActivities } from '../activities/index';\nexport const x = createActivities;\n",
      ),
    };
    const found = checkBoundaries(importGraph(withBackEdge), RULES).filter((v) => v.from === 'workflows/x.ts');
    expect(found.map(describeViolation)).toEqual([
      "workflows/x.ts -> activities/index.ts  [workflows-import-no-io-layers]  (line 1: '../activities/index')",
    ]);
  });

  test('each rule, on a small virtual tree: what breaks it and what does not', () => {
    const small = virtualTree({
      'activities/index.ts': "import { x } from '../api/app';\nexport const a = x;\n",
      'api/app.ts': 'export const x = 1;\n',
      'api/types.ts': 'export type T = 1;\n',
      'api/gateway.ts': "import type { w } from '../workflows';\nexport type G = typeof w;\n",
      'api/handovers.ts': "import { w } from '../workflows/index';\nexport const h = w;\n",
      'cli/main.ts':
        "import type { T } from '../api/types';\nimport { x } from '../api/app';\nimport { program } from 'commander';\n" +
        "import './render';\nexport const c: [T, number, unknown] = [1, x, program];\n",
      'cli/render.ts': 'export {};\n',
      'services/stack.ts':
        "import { loadConfig } from '../common/config';\nimport { readFileSync } from 'node:fs';\n" +
        'export const s = [loadConfig, readFileSync];\n',
      'common/config.ts': 'export const loadConfig = 1;\n',
      'tests/a.test.ts': "import { w } from '../workflows';\nexport const t = w;\n",
      'vocabulary/names.ts':
        "import { readFileSync } from 'node:fs';\nimport { createHash } from 'crypto';\n" +
        "import { defineQuery } from '@temporalio/workflow';\nimport type { Config } from '../common/config';\n" +
        "export * from './shapes';\nexport const n = [readFileSync, createHash, defineQuery] as unknown as Config;\n",
      'vocabulary/shapes.ts': 'export {};\n',
      'worker/worker.ts':
        "import { createActivities } from '../activities';\nexport const path = require.resolve('../workflows');\n" +
        'export const a = createActivities;\n',
      'workflows/index.ts':
        "import type { HandoverActivities } from '../activities';\nimport { proxyActivities } from '@temporalio/workflow';\n" +
        'export const w = proxyActivities<HandoverActivities>;\n',
    });
    expect(checkBoundaries(importGraph(small), RULES).map(describeViolation)).toEqual([
      "activities/index.ts -> api/app.ts  [activities-import-no-upper-layers]  (line 1: '../api/app')",
      "api/handovers.ts -> workflows/index.ts  [workflows-are-private]  (line 1: '../workflows/index')",
      "cli/main.ts -> api/app.ts  [cli-knows-only-published-types]  (line 2: '../api/app')",
      "services/stack.ts -> common/config.ts  [services-are-separate]  (line 1: '../common/config')",
      "vocabulary/names.ts -> node:fs  [vocabulary-is-a-sandbox-safe-leaf]  (line 1: 'node:fs')",
      "vocabulary/names.ts -> crypto  [vocabulary-is-a-sandbox-safe-leaf]  (line 2: 'crypto')",
      "vocabulary/names.ts -> common/config.ts  [vocabulary-is-a-sandbox-safe-leaf]  (line 4: '../common/config', type-only)",
      "workflows/index.ts -> activities/index.ts  [workflows-import-no-io-layers]  (line 1: '../activities', type-only)",
    ]);
  });
});

describe('one core: what core/ defines is defined nowhere else', () => {
  test('the list is core/ itself: every value core/ exports, and each file named is a concept with its one test file', () => {
    const defined = Object.fromEntries(
      [...tree.sources]
        .filter(([file]) => file.startsWith('core/'))
        .map(([file, text]) => [
          file,
          definitionsOf(file, text)
            .filter((d) => new RegExp(`^export (async )?(function|const|class) ${d.name}\\b`, 'm').test(text))
            .map((d) => d.name),
        ]),
    );
    expect(Object.fromEntries(Object.entries(defined).map(([f, names]) => [f, [...names].sort()]))).toEqual(
      Object.fromEntries(Object.entries(CORE_CONCEPTS).map(([f, names]) => [f, [...names].sort()])),
    );
    for (const file of Object.keys(CORE_CONCEPTS)) expect(tree.files).toContain(`tests/unit/${path.basename(file, '.ts')}.test.ts`);
  });

  test('no file outside core/ defines one of its names', () => {
    expect(checkOwnership(tree, OWNERSHIP)).toEqual([]);
  });

  test('the check can fail: a re-definition, by function or by const, is reported; an import or a local helper is not', () => {
    const small = virtualTree({
      'core/uris.ts': 'export function redactUris(t: string) {\n  return t;\n}\n',
      'services/db/uri.ts':
        "import { redactUris } from '../../core/uris';\nexport const safe = (t: string) => redactUris(t);\n" +
        'export function redact(t: string) {\n  const isWithin = 1;\n  return t + isWithin;\n}\n',
      'common/db-uri.ts': 'export function parseDbUri(uri: string) {\n  return uri;\n}\n',
      'services/copy/targets.ts': 'const canonicalAddress = (a: string) => a;\nexport const key = canonicalAddress;\n',
    });
    expect(checkOwnership(small, OWNERSHIP)).toEqual([
      'common/db-uri.ts: parseDbUri  [one-core]  (line 1)',
      'services/copy/targets.ts: canonicalAddress  [one-core]  (line 1)',
    ]);
  });

  test('a second URI parser or formatter, on either side, is reported', () => {
    const small = virtualTree({
      'services/db/uri.ts': 'export function readDbUri(uri: string) {\n  return uri;\n}\n',
      'services/copy/targets.ts': 'export const formatDbUri = (db: unknown) => String(db);\n',
    });
    expect(checkOwnership(small, OWNERSHIP)).toEqual([
      'services/copy/targets.ts: formatDbUri  [one-core]  (line 1)',
      'services/db/uri.ts: readDbUri  [one-core]  (line 1)',
    ]);
  });

  test('core/ may use Node.js built-ins but no npm package; its pure files, neither', () => {
    const small = virtualTree({
      'core/secrets.ts': "import { randomBytes } from 'node:crypto';\nimport { z } from 'zod';\nexport const s = [randomBytes, z];\n",
      'core/names.ts': "import path from 'node:path';\nexport const n = path;\n",
      'core/uris.ts': "import { n } from './names';\nimport { loadConfig } from '../common/config';\nexport const u = [n, loadConfig];\n",
      'common/config.ts': 'export const loadConfig = 1;\n',
    });
    expect(checkBoundaries(importGraph(small), RULES).map(describeViolation)).toEqual([
      "core/names.ts -> node:path  [pure-core-stays-pure]  (line 1: 'node:path')",
      "core/secrets.ts -> zod  [core-is-a-shared-leaf]  (line 2: 'zod')",
      "core/uris.ts -> common/config.ts  [core-is-a-shared-leaf]  (line 2: '../common/config')",
      "core/uris.ts -> common/config.ts  [pure-core-stays-pure]  (line 2: '../common/config')",
    ]);
  });
});
