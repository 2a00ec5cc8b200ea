/**
 * `npm run build:bundle [file]`: bundles workflows/ once (default dist/workflow-bundle.js), so workers start from
 * it (HANDOVER_WORKFLOW_BUNDLE=<file>) without bundling at each start. Every worker on a task queue must run the
 * same workflow code: build once per release and ship the file with it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { PROJECT_ROOT } from '../common/project-paths';
import { WORKFLOWS_PATH } from './worker';

async function main(): Promise<void> {
  const file = path.resolve(process.argv[2] ?? path.join(PROJECT_ROOT, 'dist', 'workflow-bundle.js'));
  const started = Date.now();
  const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error };
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet });
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, code);
  console.log(`workflow bundle: ${file} (${Math.round(code.length / 1024)} KiB, built in ${Date.now() - started} ms)`);
  console.log(`start workers from it with HANDOVER_WORKFLOW_BUNDLE=${file}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
