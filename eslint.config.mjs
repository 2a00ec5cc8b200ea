// @ts-check
/**
 * ESLint 9 flat config. Formatting is Prettier's job (.prettierrc.json): eslint-config-prettier, last,
 * turns off every rule that would fight it. TypeScript is linted with type information (the project
 * service reads tsconfig.json), so promise mistakes are caught: a promise nobody awaits
 * (no-floating-promises) or one passed where nothing waits for it (no-misused-promises).
 *
 * workflows/ runs in Temporal's workflow sandbox (a V8 context of the worker's workflow bundle): no Node
 * API, no I/O, nothing non-deterministic. What the sandbox gives (see @temporalio/workflow
 * src/global-overrides.ts and @temporalio/worker src/workflow/vm-shared.ts): setTimeout/clearTimeout
 * (durable timers), Date and Math.random (deterministic), URL, URLSearchParams, TextEncoder/TextDecoder,
 * AbortController, assert and console. Not there: process, require, Buffer, setInterval, setImmediate,
 * queueMicrotask, structuredClone, fetch, crypto, performance; WeakRef and FinalizationRegistry throw.
 * There is no official Temporal ESLint plugin (@temporalio/eslint-plugin is not on npm), hence the rules
 * below. The import boundaries between the project's folders are checked by tests/unit/import-graph.test.ts.
 */
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import prettier from 'eslint-config-prettier/flat';
import globals from 'globals';
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

/**
 * Modules the workflow bundle must never load: every Node.js built-in (with or without `node:`; Temporal's bundler
 * would shim assert, url and util, but workflow code has no use for them) and the clients of the outside world.
 */
const NODE_BUILTINS = builtinModules.filter((name) => !name.startsWith('_') && !name.includes('/'));
const SIDE_EFFECT_PACKAGES = ['mysql2', 'nodemailer', 'amqplib', 'fastify', 'pino', 'better-sqlite3', 'sqlite3'];
/** The SDK's packages that are not for workflow code (the worker's bundler refuses them too). */
const TEMPORAL_NON_WORKFLOW = [
  '@temporalio/activity',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/testing',
  '@temporalio/common/lib/internal-non-workflow',
];

const workflowImportRules = {
  'no-restricted-imports': 'off',
  '@typescript-eslint/no-restricted-imports': [
    'error',
    {
      paths: [
        ...NODE_BUILTINS.map((name) => ({
          name,
          message: 'Workflow code runs in the Temporal sandbox: no Node.js API here; do it in an activity.',
        })),
        ...SIDE_EFFECT_PACKAGES.map((name) => ({ name, message: 'Workflow code does no I/O: call an activity that does.' })),
        ...TEMPORAL_NON_WORKFLOW.map((name) => ({
          name,
          message: 'Not for workflow code: use @temporalio/workflow (and @temporalio/common).',
        })),
      ],
      patterns: [
        { group: ['node:*'], message: 'Workflow code runs in the Temporal sandbox: no Node.js API here; do it in an activity.' },
        {
          group: [...NODE_BUILTINS, ...SIDE_EFFECT_PACKAGES, ...TEMPORAL_NON_WORKFLOW].map((name) => `${name}/*`),
          message: 'Not loadable in the Temporal workflow sandbox.',
        },
        {
          regex: '^(\\.\\./)+(activities|api)(/.*)?$',
          allowTypeImports: true,
          message:
            'Workflows may import only types (import type) from activities/ and api/: their code does I/O and must not enter the ' +
            'workflow bundle.',
        },
        {
          regex: '^(\\.\\./)+(worker|cli|services|scripts|bench|tests)(/.*)?$',
          message: 'Not workflow code: must not enter the workflow bundle.',
        },
      ],
    },
  ],
  'no-restricted-globals': [
    'error',
    ...['process', 'require', 'module', 'exports', '__dirname', '__filename', 'Buffer', 'global'].map((name) => ({
      name,
      message:
        `${name} is Node.js: there is none in the Temporal workflow sandbox (read configuration in the API or an activity and ` +
        `pass it in the workflow's input).`,
    })),
    ...['setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'queueMicrotask'].map((name) => ({
      name,
      message:
        `${name} does not exist in the Temporal workflow sandbox: use sleep()/condition() from @temporalio/workflow (setTimeout ` +
        `is fine).`,
    })),
    { name: 'fetch', message: 'Workflow code does no I/O: call an activity that does.' },
    { name: 'crypto', message: 'No crypto in the workflow sandbox: use uuid4() from @temporalio/workflow, or an activity.' },
    { name: 'performance', message: 'No performance clock in the workflow sandbox: Date.now() is the deterministic workflow time.' },
    { name: 'structuredClone', message: 'structuredClone does not exist in the Temporal workflow sandbox.' },
    { name: 'WeakRef', message: 'WeakRef throws in the Temporal workflow sandbox (garbage collection is not deterministic).' },
    {
      name: 'FinalizationRegistry',
      message: 'FinalizationRegistry throws in the Temporal workflow sandbox (garbage collection is not deterministic).',
    },
  ],
  'no-restricted-properties': [
    'error',
    ...[
      'process',
      'require',
      'Buffer',
      'setInterval',
      'setImmediate',
      'fetch',
      'crypto',
      'performance',
      'WeakRef',
      'FinalizationRegistry',
    ].map((property) => ({
      object: 'globalThis',
      property,
      message: `globalThis.${property} is not available (or not deterministic) in the Temporal workflow sandbox.`,
    })),
  ],
};

export default defineConfig(
  globalIgnores([
    'node_modules/',
    'dist/',
    'coverage/',
    '.temporal/',
    '.handover/',
    'tests/fixtures/',
    'tests/.artifacts/',
    'bench/out/',
    'bench/results/',
    '**/*.d.ts',
  ]),

  { linterOptions: { reportUnusedDisableDirectives: 'error' } },

  js.configs.recommended,

  // TypeScript, with type information.
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },

  // Tests: Jest's globals. They read JSON answers (typed any) all the time: the no-unsafe-* family is off here.
  {
    files: ['tests/**/*.ts'],
    languageOptions: { globals: { ...globals.node, ...globals.jest } },
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },

  // Temporal workflow code: the sandbox's rules.
  { files: ['workflows/**/*.ts'], rules: workflowImportRules },

  // The web pages' scripts: browser ES modules, no build step, no type information.
  {
    files: ['api/web/**/*.js'],
    languageOptions: { sourceType: 'module', globals: { ...globals.browser } },
    rules: { 'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }] },
  },

  // Node's CommonJS files (bin/handover.cjs, jest.config.js, tests/sequencer.js) and this file.
  {
    files: ['**/*.cjs', 'jest.config.js', 'tests/sequencer.js'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: { ...globals.node } },
  },

  prettier,

  // Prettier's printWidth (.prettierrc.json) as a rule: Prettier cannot break a long string, template literal, regex or comment,
  // so a line over 140 characters fails here. After eslint-config-prettier, which turns max-len off. Core max-len is deprecated
  // since ESLint 8.53 and available until ESLint 11; its successor is @stylistic/max-len (@stylistic/eslint-plugin).
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs', '**/*.cjs'],
    rules: { 'max-len': ['error', { code: 140, tabWidth: 2, ignoreUrls: true }] },
  },
);
