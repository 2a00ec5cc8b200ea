/**
 * Reading handovers from Temporal: a handover's description, progress and reports, a batch's progress, the list
 * from visibility, the input a handover started with. Payloads and failures are decoded by the client's own data
 * converter (the one that encoded them, codecs included), never by a converter of our choosing.
 */
import { type Client, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { decodeFromPayloadsAtIndex, decodeOptionalFailureToOptionalError } from '@temporalio/common/lib/internal-non-workflow';
import { waitingActivityOf } from '../../common/callbacks';
import {
  BATCH_WORKFLOW,
  type BatchProgress,
  HANDOVER_WORKFLOW,
  type HandoverInput,
  type HandoverProgress,
  type HandoverReport,
  batchProgressQuery,
  handoverFailedDetails,
  jobStillRunningProgress,
  listFilterTypes,
  listRowTypes,
  progressQuery,
  reportsQuery,
  searchAttributes,
} from '../../vocabulary';
import { HandoverNotFound } from '../errors';
import type { HandoverRow, ListFilters } from '../types';

export function handoverReads(client: Client) {
  const handle = (id: string) => client.workflow.getHandle(id);
  const converter = client.options.loadedDataConverter;

  /** The workflow must be of the expected type: a token names nothing else (not a lock, not another app's workflow). */
  async function describeAs(id: string, workflowType: string) {
    try {
      const description = await handle(id).describe();
      if (description.type !== workflowType) throw new HandoverNotFound(id);
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
      return err instanceof WorkflowFailedError ? handoverFailedDetails(err.cause)?.progress : undefined;
    }
  }

  const reads = {
    describeHandover: (token: string) => describeAs(token, HANDOVER_WORKFLOW),

    /**
     * A handover's progress, with its running job's own progress, and Temporal's word if it was ended by hand.
     * A completed or failed handover's is its recorded end (its result, or the failure's details): read from the
     * history, it costs no query on a worker (which would replay the whole history of a workflow no longer cached).
     */
    async progress(token: string): Promise<HandoverProgress> {
      const description = await reads.describeHandover(token);
      const recorded =
        description.status.name === 'COMPLETED' || description.status.name === 'FAILED' ? await recordedEnd(token) : undefined;
      if (recorded) return recorded;
      const progress: HandoverProgress = await handle(token).query(progressQuery);
      // While a job runs, its service's own progress is in the last answer of the step's poll activity.
      const waiting = waitingActivityOf(progress.step);
      const polling = waiting ? description.raw.pendingActivities?.find((a) => a.activityType?.name === waiting) : undefined;
      const last = await decodeOptionalFailureToOptionalError(converter, polling?.lastFailure);
      if (last?.message) progress.job_progress = last.message;
      const job = jobStillRunningProgress(last);
      if (job) progress.job = job;
      // Terminated or timed out by hand: the workflow never recorded its end, Temporal did.
      if (progress.status === 'running' && description.status.name !== 'RUNNING') {
        return {
          ...progress,
          status: description.status.name === 'CANCELLED' ? 'cancelled' : 'failed',
          ended_at: description.closeTime?.toISOString(),
        };
      }
      return progress;
    },

    async reports(token: string): Promise<HandoverReport[]> {
      await reads.describeHandover(token);
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
          ...listRowTypes({ databaseType: sa.get(searchAttributes.databaseType), updateType: sa.get(searchAttributes.updateType) }),
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

    /** A handover's input as it started (recorded URIs and sealed credentials): the first argument of its first event. */
    async originalInput(token: string): Promise<HandoverInput> {
      const history = await handle(token).fetchHistory();
      const payloads = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
      if (!payloads?.length) throw new Error(`handover ${token} has no recorded input`);
      return decodeFromPayloadsAtIndex<HandoverInput>(converter, 0, payloads);
    },
  };
  return reads;
}

/** A visibility query for the list's filters (values quoted and escaped; the route also refuses quotes and backslashes). */
export function visibilityQuery(filters: Omit<ListFilters, 'limit'>): string {
  const clauses = [`WorkflowType = '${HANDOVER_WORKFLOW}'`];
  const keyword = (name: string, value?: string) =>
    value && clauses.push(`${name} = '${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`);
  keyword(searchAttributes.status.name, filters.status);
  keyword(searchAttributes.database.name, filters.database);
  keyword(searchAttributes.contact.name, filters.contact);
  const { databaseType, updateType } = listFilterTypes(filters);
  keyword(searchAttributes.databaseType.name, databaseType);
  keyword(searchAttributes.updateType.name, updateType);
  return clauses.join(' AND ');
}
