/**
 * The API's side of Temporal: start a handover under its database's lock, keep refusals, read a
 * handover's progress and reports, list handovers from visibility, signal a cancel. Everything
 * Temporal-shaped the API does is here; the rules of a submission are in ./submission.
 */
import { type Client, WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import type { Config } from '../common/config';
import {
  BATCH_WORKFLOW,
  type BatchInput,
  type BatchProgress,
  type CancelRequest,
  HANDOVER_WORKFLOW,
  type HandoverInput,
  type HandoverProgress,
  type HandoverReport,
  type JobProgress,
  REFUSALS_WORKFLOW,
  type Refusal,
  batchProgressQuery,
  cancelSignal,
  holderQuery,
  progressQuery,
  recordRefusalsSignal,
  refusalsQuery,
  refusalsWorkflowId,
  reportsQuery,
  searchAttributes,
} from '../vocabulary';
import { batchWorkflow } from '../workflows/batch';
import { databaseLockWorkflow } from '../workflows/lock';
import { HandoverConflict, HandoverNotFound } from './errors';
import type { HandoverRow, ListFilters } from './types';

/** temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED: not yet picked up by a worker. */
const PENDING_ACTIVITY_SCHEDULED = 1;

/** How long to keep trying something that will soon succeed (the lock's child appearing, a lock released). */
const SOON = { attempts: 100, everyMs: 100 };

export function temporalGateway(client: Client, config: Config) {
  const handle = (id: string) => client.workflow.getHandle(id);
  const taskQueue = config.HANDOVER_TASK_QUEUE;
  const refusalsId = refusalsWorkflowId(taskQueue);

  /** The workflow must be of the expected type: a token names nothing else (not a lock, not another app's workflow). */
  async function describeAs(id: string, type: string) {
    try {
      const description = await handle(id).describe();
      if (description.type !== type) throw new HandoverNotFound(id);
      return description;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new HandoverNotFound(id);
      throw err;
    }
  }

  /** The progress a closed handover recorded as it ended (undefined for histories from before it did so). */
  async function recordedEnd(token: string): Promise<HandoverProgress | undefined> {
    try {
      return (await handle(token).result()) as HandoverProgress;
    } catch (err) {
      const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
      const recorded = cause instanceof ApplicationFailure ? cause.details?.[1] : undefined;
      return recorded && typeof recorded === 'object' && 'token' in recorded ? (recorded as HandoverProgress) : undefined;
    }
  }

  /**
   * The token of the handover holding a lock: its memo `{token}` (set by startUnderLock and by a batch), read with the
   * describe the conflict needs anyway; a lock without one (a batch's, from before batches set it) is asked `holder`.
   */
  async function holderOf(lockId: string): Promise<string> {
    const lock = handle(lockId);
    // The lock may have closed since the start that found it: then nobody holds it, and the answer is still a 409.
    const token = (await lock.describe().catch(() => undefined))?.memo?.token;
    if (typeof token === 'string' && token) return token;
    return lock.query(holderQuery).catch(() => '');
  }

  const gateway = {
    describeHandover: (token: string) => describeAs(token, HANDOVER_WORKFLOW),

    /** Starts a handover under its database's lock (HandoverConflict when another of it runs); resolves once the handover exists. */
    async startUnderLock(input: HandoverInput, lockId: string): Promise<void> {
      try {
        await client.workflow.start(databaseLockWorkflow, {
          workflowId: lockId,
          taskQueue,
          args: [{ lockKey: lockId, handover: input }],
          workflowIdConflictPolicy: 'FAIL',
          memo: { token: input.token },
        });
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) throw new HandoverConflict(await holderOf(lockId));
        throw err;
      }
      // The lock workflow starts the handover as its child: its token answers once that exists.
      await soon(
        () => handle(input.token).describe(),
        (err) => err instanceof WorkflowNotFoundError,
      ).catch((err) => {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      });
    },

    async startBatch(batch: BatchInput): Promise<void> {
      await client.workflow.start(batchWorkflow, { workflowId: batch.batchId, taskQueue, args: [batch] });
    },

    /** Refusals go to the one refusals workflow as one signal: no workflow per refused request. */
    async recordRefusals(refusals: Refusal[]): Promise<void> {
      await client.workflow.signalWithStart(REFUSALS_WORKFLOW, { workflowId: refusalsId, taskQueue, args: [[]], signal: recordRefusalsSignal, signalArgs: [refusals] });
    },

    async refusals(): Promise<Refusal[]> {
      try {
        return await handle(refusalsId).query(refusalsQuery);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return [];
        throw err;
      }
    },

    /**
     * A handover's progress, with its running job's own progress, and Temporal's word if it was ended by hand.
     * A completed or failed handover's is its recorded end (its result, or the failure's details): read from the
     * history, it costs no query on a worker (which would replay the whole history of a workflow no longer cached).
     */
    async progress(token: string): Promise<HandoverProgress> {
      const description = await gateway.describeHandover(token);
      const recorded = description.status.name === 'COMPLETED' || description.status.name === 'FAILED' ? await recordedEnd(token) : undefined;
      if (recorded) return recorded;
      const progress: HandoverProgress = await handle(token).query(progressQuery);
      // While a job runs, its service's own progress is in the last answer of the poll activity.
      const polling = description.raw.pendingActivities?.find((a) => a.activityType?.name?.startsWith('waitFor'));
      if (polling?.lastFailure?.message) progress.job_progress = polling.lastFailure.message;
      const details = polling?.lastFailure?.applicationFailureInfo?.details?.payloads?.[0];
      if (details) progress.job = defaultPayloadConverter.fromPayload<JobProgress>(details);
      // Terminated or timed out by hand: the workflow never recorded its end, Temporal did.
      if (progress.status === 'running' && description.status.name !== 'RUNNING') {
        return { ...progress, status: description.status.name === 'CANCELLED' ? 'cancelled' : 'failed', ended_at: description.closeTime?.toISOString() };
      }
      return progress;
    },

    async reports(token: string): Promise<HandoverReport[]> {
      await gateway.describeHandover(token);
      return handle(token).query(reportsQuery);
    },

    async batch(batchId: string): Promise<BatchProgress> {
      await describeAs(batchId, BATCH_WORKFLOW);
      return handle(batchId).query(batchProgressQuery);
    },

    /** Handovers from visibility, newest first (rows from the search attributes and memo: no query per row). */
    async list(filters: ListFilters): Promise<HandoverRow[]> {
      const rows: HandoverRow[] = [];
      for await (const wf of client.workflow.list({ query: visibilityQuery(filters), pageSize: Math.min(filters.limit, 1000) })) {
        const sa = wf.typedSearchAttributes;
        rows.push({
          token: wf.workflowId,
          database: sa.get(searchAttributes.database),
          contact: sa.get(searchAttributes.contact),
          type: sa.get(searchAttributes.type),
          update_type: sa.get(searchAttributes.updateType),
          submitted_by: wf.memo?.submitted_by as string | undefined,
          status: sa.get(searchAttributes.status),
          step: sa.get(searchAttributes.step),
          comment: wf.memo?.comment as string | undefined,
          src_uri: wf.memo?.source_uri as string | undefined,
          submitted_at: wf.startTime.toISOString(),
          ended_at: wf.closeTime?.toISOString(),
        });
        if (rows.length >= filters.limit) break;
      }
      return rows;
    },

    /** A handover's input as it started (recorded URIs and sealed credentials), from its history. */
    async originalInput(token: string): Promise<HandoverInput> {
      const history = await handle(token).fetchHistory();
      const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
      if (!payload) throw new Error(`handover ${token} has no recorded input`);
      return defaultPayloadConverter.fromPayload<HandoverInput>(payload);
    },

    async cancel(token: string, request: CancelRequest): Promise<void> {
      await handle(token).signal(cancelSignal, request);
    },

    /**
     * Runs a waiting poll activity now: Temporal's ResetActivity drops the retry backoff (no history event, no
     * workflow task). Only when the poll is waiting for a retry or running (its answer may be "running" from just
     * before the job ended): a poll not scheduled yet, or scheduled for its first attempt, runs at once anyway and
     * finds the job ended. A reset is a write on the server, a describe a read, and with quick jobs most callbacks
     * come before the first poll. False when nothing was reset: the step is not waiting yet, or no longer, or the
     * handover has ended.
     */
    async pollNow(token: string, activityType: string): Promise<boolean> {
      let poll;
      try {
        poll = (await handle(token).describe()).raw.pendingActivities?.find((a) => a.activityType?.name === activityType);
        if (!poll || (Number(poll.state) === PENDING_ACTIVITY_SCHEDULED && (poll.attempt ?? 1) <= 1)) return false;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return false;
        // Unsure (the server busy, a deadline): reset as if it were waiting; a service calls back only once.
      }
      try {
        await client.workflowService.resetActivity({ namespace: config.TEMPORAL_NAMESPACE, execution: { workflowId: token }, type: activityType, identity: 'handover-api callback' });
        return true;
      } catch (err) {
        // NOT_FOUND (5): no such running activity or workflow; FAILED_PRECONDITION (9): the workflow is closed.
        const code = (err as { code?: number }).code;
        if (code === 5 || code === 9 || code === 3) return false;
        throw err;
      }
    },

    soon,
  };
  return gateway;
}

/** Tries `attempt` every 100 ms, for up to 10 s, while it fails in a way `retryable` says will pass. */
export async function soon<T>(attempt: () => Promise<T>, retryable: (err: unknown) => boolean): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!retryable(err) || i >= SOON.attempts) throw err;
      await new Promise((r) => setTimeout(r, SOON.everyMs));
    }
  }
}

/** A visibility query for the list's filters (values quoted and escaped; the route also refuses quotes and backslashes). */
export function visibilityQuery(filters: Omit<ListFilters, 'limit'>): string {
  const clauses = [`WorkflowType = '${HANDOVER_WORKFLOW}'`];
  const keyword = (name: string, value?: string) => value && clauses.push(`${name} = '${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`);
  keyword(searchAttributes.status.name, filters.status);
  keyword(searchAttributes.database.name, filters.database);
  keyword(searchAttributes.contact.name, filters.contact);
  keyword(searchAttributes.type.name, filters.type);
  keyword(searchAttributes.updateType.name, filters.update_type);
  return clauses.join(' AND ');
}

export type TemporalGateway = ReturnType<typeof temporalGateway>;
