/**
 * What crosses the Temporal boundary by name: search attributes, queries and signals. Each constant is
 * named after its wire name (`progressQuery` is the query `progress`), so a reader of a history, the
 * Web UI or `temporal workflow query --name` finds it here.
 */
import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { HandoverStatus } from './names';
import {
  type BatchProgress,
  type CancelRequest,
  type HandoverInput,
  type HandoverProgress,
  type HandoverReport,
  type Refusal,
  handoverTypes,
} from './shapes';

/** Registered on the Temporal server (temporal-dev.sh does it for the dev server) so the Web UI can filter. */
export const searchAttributes = {
  database: defineSearchAttributeKey('HandoverDatabase', 'KEYWORD'),
  contact: defineSearchAttributeKey('HandoverContact', 'KEYWORD'),
  /** The kind of database (core, variation...), from its name. (Its name stays `HandoverType`: registered everywhere; see ./shapes.) */
  databaseType: defineSearchAttributeKey('HandoverType', 'KEYWORD'),
  /** The kind of update the submitter named (new_assembly, new_genebuild, patch, other). */
  updateType: defineSearchAttributeKey('HandoverUpdateType', 'KEYWORD'),
  status: defineSearchAttributeKey('HandoverStatus', 'KEYWORD'),
  step: defineSearchAttributeKey('HandoverStep', 'KEYWORD'),
} as const;

/** The search attributes a handover starts with (the workflow keeps status and step current). */
export function initialSearchAttributes(input: HandoverInput, status: HandoverStatus = 'running') {
  const { updateType, databaseType } = handoverTypes(input);
  return [
    { key: searchAttributes.database, value: input.database },
    { key: searchAttributes.contact, value: input.spec.contact },
    { key: searchAttributes.databaseType, value: databaseType },
    // (Handovers recorded before `type` meant the update type have none: they start as they did.)
    ...(updateType ? [{ key: searchAttributes.updateType, value: updateType }] : []),
    { key: searchAttributes.status, value: status },
    { key: searchAttributes.step, value: 'checking' },
  ];
}

/** A handover's state: status, step, timeline, failure (`temporal workflow query --name progress`). */
export const progressQuery = defineQuery<HandoverProgress>('progress');
/** A handover's step reports, oldest first. */
export const reportsQuery = defineQuery<HandoverReport[]>('reports');
/** Cancel a handover, saying who and why (the API, or `temporal workflow signal --name cancel`). */
export const cancelSignal = defineSignal<[CancelRequest]>('cancel');
/** To the lock workflow, from its handover: cancel me through Temporal (a workflow cannot cancel itself). */
export const cancelHandoverSignal = defineSignal('cancelHandover');
/** The lock workflow answers which handover holds the database (`temporal workflow query --name holder`). */
export const holderQuery = defineQuery<string>('holder');

/**
 * The memo every lock workflow carries, written by whoever starts it (the API's start under the lock, a batch):
 * the token of the handover it holds. The API names a conflict's holder from it, with the describe of a
 * closed or open lock and no query (none waits for a worker).
 */
export type LockMemo = { token: string };
export const lockMemo = (token: string): LockMemo => ({ token });
/** The token a lock's memo names ('' when it names none). */
export const lockHolder = (memo: Record<string, unknown> | undefined): string => (typeof memo?.token === 'string' ? memo.token : '');
/** A batch's counts and items. */
export const batchProgressQuery = defineQuery<BatchProgress>('batchProgress');
/** To the refusals workflow: keep these refused submissions. */
export const recordRefusalsSignal = defineSignal<[Refusal[]]>('recordRefusals');
/** The refusals kept, oldest first. */
export const refusalsQuery = defineQuery<Refusal[]>('refusals');
