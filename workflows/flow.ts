/**
 * What a handover's history was recorded with. The API starts every handover for a numbered flow
 * (HANDOVER_FLOW in its input); histories from before have none and replay as they were recorded.
 */
import { patched } from '@temporalio/workflow';
import type { HandoverInput } from '../vocabulary';

/** Started for flow 2 or later: the behaviours patched in before it are on without asking. */
export const leanFlow = (input: HandoverInput): boolean => (input.flow ?? 1) >= 2;

/**
 * Whether a behaviour patched in before flow 2 is on. A patch costs its history a marker and an upsert of
 * TemporalChangeVersion (a visibility write); a handover of flow 2 or later pays neither. Behaviours added
 * after flow 2 use patched() themselves, until the next flow.
 */
export const patchedBeforeFlow2 = (input: HandoverInput, patchId: string): boolean => leanFlow(input) || patched(patchId);
