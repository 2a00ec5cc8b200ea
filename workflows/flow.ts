/**
 * What a handover's history was recorded with. The API starts every handover for a numbered flow
 * (HANDOVER_FLOW in its input); histories from before have none and replay as they were recorded.
 */
import { patched, workflowInfo } from '@temporalio/workflow';
import { HANDOVER_FLOW, type HandoverInput } from '../vocabulary';

/** The flow a handover was started for: 1 for handovers from before flows were numbered. */
const flowOf = (input: HandoverInput): number => input.flow ?? 1;

/**
 * Flow 3: the final email never holds the database (tried once, then retried by a detached workflow:
 * workflows/email.ts), it cannot be cancelled, and a cancel that comes once the outcome is decided changes nothing.
 */
export const fromFlow3 = (input: HandoverInput): boolean => flowOf(input) >= 3;

/**
 * A handover of a flow newer than this worker knows (an API upgraded before its workers) must not run under
 * older rules: a plain Error fails the workflow task, which Temporal retries (on an upgraded worker, once there is one).
 */
export function assertKnownFlow(input: HandoverInput): void {
  if (flowOf(input) > HANDOVER_FLOW)
    throw new Error(`handover ${input.token} is of flow ${input.flow}, newer than this worker's ${HANDOVER_FLOW}: upgrade the worker`);
}

/**
 * Whether a behaviour patched in before flow 2 is on. A patch costs its history a marker and an upsert of
 * TemporalChangeVersion (a visibility write); a handover of flow 2 or later pays neither: the behaviour is on.
 * During a rolling upgrade a worker from before flows may have run a flow-2 handover, writing the markers;
 * replaying, the patch is asked as that worker asked it (patched() matches a marker that is there and adds
 * nothing where there is none), so either history replays. Behaviours added after flow 2 use patched().
 */
export function patchedBeforeFlow2(input: HandoverInput, patchId: string): boolean {
  if (flowOf(input) < 2) return patched(patchId);
  if (workflowInfo().unsafe.isReplaying) patched(patchId);
  return true;
}
