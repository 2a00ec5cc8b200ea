/**
 * What the API does with Temporal: start a handover under its database lock, read its progress,
 * list handovers from visibility, cancel one. Routes stay thin; tests call these through HTTP.
 */
import { randomUUID } from 'node:crypto';
import { type Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { admit, databaseTypeOf } from '../common/admission';
import { type Config, admissionRulesFrom, timingsFrom, updateTypesFrom } from '../common/config';
import { databaseKey, deriveTargetUri, parseDbUri, withoutPassword } from '../common/db-uri';
import type { Sealer } from '../common/secrets';
import type { HandoverSpec } from '../common/spec';
import {
  BATCH_WORKFLOW,
  type BatchProgress,
  type CancelRequest,
  HANDOVER_WORKFLOW,
  type HandoverInput,
  type HandoverProgress,
  type HandoverReport,
  type HandoverStatus,
  type JobProgress,
  RESTARTABLE_STEPS,
  type RestartableStep,
  batchProgressQuery,
  cancelSignal,
  initialSearchAttributes,
  progressQuery,
  reportsQuery,
  searchAttributes,
} from '../workflows/definitions';
import { batchWorkflow } from '../workflows/batch';
import { handoverWorkflow } from '../workflows/handover';
import { databaseLockWorkflow } from '../workflows/lock';

export interface HandoverServiceDeps {
  client: Client;
  config: Config;
  sealer: Sealer;
}

export class HandoverConflict extends Error {
  constructor(readonly token: string) {
    super('a handover of this database is already running');
  }
}
export class HandoverNotFound extends Error {}
export class HandoverNotRestartable extends Error {
  constructor(readonly status: string) {
    super(status === 'running' ? 'the handover is still running; cancel it first' : 'the handover completed; there is nothing to restart');
  }
}
export class HandoverEnded extends Error {
  constructor(readonly status: string) {
    super(`the handover has already ended (${status})`);
  }
}
/** Refused by the admission rules (recorded as a `rejected` handover under `token`). */
export class HandoverRejected extends Error {
  constructor(
    readonly token: string,
    readonly issues: Array<{ field: string; message: string }>,
    readonly closed: boolean,
  ) {
    super(closed ? 'handover is closed' : 'handover refused');
  }
}
/** A request that is well-formed but cannot be done, with the field to blame. */
export class HandoverRefused extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

export interface HandoverRow {
  token: string;
  database?: string;
  contact?: string;
  /** The kind of database (from its name). */
  type?: string;
  /** The kind of update (absent for handovers recorded before it was asked for). */
  update_type?: string;
  status?: string;
  step?: string;
  comment?: string;
  /** The source, password-free. */
  src_uri?: string;
  submitted_at?: string;
  ended_at?: string;
}

export interface ListFilters {
  status?: HandoverStatus;
  database?: string;
  contact?: string;
  type?: string;
  update_type?: string;
  limit: number;
}

export function lockWorkflowId(targetUri: string): string {
  return `handover-lock:${databaseKey(targetUri)}`;
}

export function createHandoverService({ client, config, sealer }: HandoverServiceDeps) {
  const handle = (token: string) => client.workflow.getHandle(token);
  const rules = admissionRulesFrom(config);

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
  const describeHandover = (token: string) => describeAs(token, HANDOVER_WORKFLOW);

  return {
    /** Starts a handover; returns its token once the handover workflow exists. */
    async submit(spec: HandoverSpec): Promise<string> {
      const { input, targetUri, closed } = prepare(spec);
      if (input.rejected) {
        await recordRejection(input);
        throw new HandoverRejected(input.token, [{ field: input.rejected.field, message: input.rejected.reason }], closed);
      }
      await startUnderLock(input, targetUri);
      return input.token;
    },

    /** Starts a batch: one handover per database, each under its own lock, one summary email at the end. */
    async submitBatch(contact: string, specs: HandoverSpec[]): Promise<{ batchId: string; tokens: string[] }> {
      const prepared = specs.map((spec, i) => {
        try {
          return prepare(spec);
        } catch (err) {
          if (err instanceof HandoverRefused) throw new HandoverRefused(`handovers.${i}.${err.field}`, err.message);
          throw err;
        }
      });
      const rejected = prepared.map((p, i) => ({ ...p, i })).filter((p) => p.input.rejected);
      if (rejected.length) {
        // Nothing of a batch starts while any of it is refused; each refusal is recorded.
        for (const r of rejected) await recordRejection(r.input);
        const issues = rejected.map((r) => ({ field: `handovers.${r.i}.${r.input.rejected!.field}`, message: r.input.rejected!.reason }));
        throw new HandoverRejected(rejected[0].input.token, issues, rejected.some((r) => r.closed));
      }
      const batchId = `batch-${randomUUID()}`;
      const items = prepared.map(({ input, targetUri }) => ({ lockKey: lockWorkflowId(targetUri), handover: input }));
      await client.workflow.start(batchWorkflow, { workflowId: batchId, taskQueue: config.HANDOVER_TASK_QUEUE, args: [{ batchId, contact, items }] });
      return { batchId, tokens: items.map((i) => i.handover.token) };
    },

    admission() {
      return { open: rules.allowedTypes.length > 0, allowed_types: rules.allowedTypes, update_types: updateTypesFrom(config), release: rules.release ?? null };
    },

    async batch(batchId: string): Promise<BatchProgress> {
      await describeAs(batchId, BATCH_WORKFLOW);
      return handle(batchId).query(batchProgressQuery);
    },

    /**
     * Restarts a failed or cancelled handover from a step (by default the one that failed or was
     * running), as a new handover linked to the original; the steps before it are not repeated.
     */
    async restart(token: string, from?: RestartableStep): Promise<string> {
      const original = await this.progress(token);
      if (original.status === 'running' || original.status === 'completed') throw new HandoverNotRestartable(original.status);
      const stopped = original.failure?.step ?? original.timeline.at(-1)?.step ?? 'healthcheck';
      const start: RestartableStep = from ?? (stopped === 'checking' ? 'healthcheck' : stopped);
      for (const step of RESTARTABLE_STEPS.slice(0, RESTARTABLE_STEPS.indexOf(start))) {
        const outcome = original.timeline.find((t) => t.step === step)?.outcome;
        if (outcome !== 'passed' && outcome !== 'skipped') {
          throw new HandoverRefused('from', `cannot skip the ${step} step: it did not pass in handover ${token}; restart from ${step} or earlier`);
        }
      }
      const recorded = upgraded(await originalInput(token));
      const input: HandoverInput = {
        ...recorded,
        token: randomUUID(),
        restart: { token, from: start, events: start === 'event' ? original.events : undefined },
        timings: timingsFrom(config),
        submittedAt: new Date().toISOString(),
      };
      // The original reports `failed` a moment before it closes (its email goes last) and releases the lock.
      for (let attempt = 1; ; attempt++) {
        try {
          await startUnderLock(input, recorded.spec.tgt_uri);
          return input.token;
        } catch (err) {
          if (!(err instanceof HandoverConflict && err.token === token && attempt < 100)) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },

    async progress(token: string): Promise<HandoverProgress> {
      const description = await describeHandover(token);
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

    /** The handover's step reports, oldest first (none for handovers from before reports existed). */
    async reports(token: string): Promise<HandoverReport[]> {
      await describeHandover(token);
      return handle(token).query(reportsQuery);
    },

    async list(filters: ListFilters): Promise<HandoverRow[]> {
      const clauses = [`WorkflowType = '${HANDOVER_WORKFLOW}'`];
      const keyword = (name: string, value?: string) => value && clauses.push(`${name} = '${value.replace(/'/g, "\\'")}'`);
      keyword(searchAttributes.status.name, filters.status);
      keyword(searchAttributes.database.name, filters.database);
      keyword(searchAttributes.contact.name, filters.contact);
      keyword(searchAttributes.type.name, filters.type);
      keyword(searchAttributes.updateType.name, filters.update_type);
      const rows: HandoverRow[] = [];
      for await (const wf of client.workflow.list({ query: clauses.join(' AND '), pageSize: Math.min(filters.limit, 1000) })) {
        const sa = wf.typedSearchAttributes;
        rows.push({
          token: wf.workflowId,
          database: sa.get(searchAttributes.database),
          contact: sa.get(searchAttributes.contact),
          type: sa.get(searchAttributes.type),
          update_type: sa.get(searchAttributes.updateType),
          status: sa.get(searchAttributes.status),
          step: sa.get(searchAttributes.step),
          comment: wf.memo?.comment as string | undefined,
          src_uri: wf.memo?.source_uri as string | undefined,
          submitted_at: wf.startTime.toISOString(),
          ended_at: wf.closeTime?.toISOString(),
        });
        if (rows.length >= filters.limit) break;
      }
      return rows.sort((a, b) => (b.submitted_at ?? '').localeCompare(a.submitted_at ?? ''));
    },

    async cancel(token: string, request: CancelRequest): Promise<void> {
      const description = await describeHandover(token);
      if (description.status.name !== 'RUNNING') throw new HandoverEnded(description.status.name.toLowerCase());
      await handle(token).signal(cancelSignal, request);
    },
  };

  /**
   * A submission made ready to start: admission rules applied (a refusal is made ready to be
   * recorded), target derived from the staging rules, passwords sealed away from what is recorded.
   */
  function prepare(spec: HandoverSpec): { input: HandoverInput; targetUri: string; closed: boolean } {
    const base = { token: randomUUID(), timings: timingsFrom(config), submittedAt: new Date().toISOString(), sealed: {} };
    const sourceName = parseDbUri(spec.src_uri).database;
    const admission = admit(sourceName, rules);
    if (!admission.admitted) {
      const recorded = { ...spec, src_uri: withoutPassword(spec.src_uri), tgt_uri: spec.tgt_uri ? withoutPassword(spec.tgt_uri) : '' };
      const rejected = { field: admission.field, reason: admission.reason };
      const input: HandoverInput = { ...base, spec: recorded, database: sourceName, databaseType: databaseTypeOf(sourceName), rejected };
      return { input, targetUri: spec.src_uri, closed: admission.closed };
    }
    const targetUri = spec.tgt_uri ?? deriveTargetUri(admission.stagingUri, spec.src_uri);
    if (databaseKey(targetUri) === databaseKey(spec.src_uri)) {
      throw new HandoverRefused('tgt_uri', 'is the same database as src_uri');
    }
    const seal = (uri: string) => (parseDbUri(uri).password !== undefined ? sealer.seal(uri) : undefined);
    const input: HandoverInput = {
      ...base,
      spec: { ...spec, src_uri: withoutPassword(spec.src_uri), tgt_uri: withoutPassword(targetUri) },
      database: parseDbUri(targetUri).database,
      databaseType: admission.name.type,
      sealed: { src_uri: seal(spec.src_uri), tgt_uri: seal(targetUri) },
      release: rules.release,
    };
    return { input, targetUri, closed: false };
  }

  /** A refused submission is recorded as a `rejected` handover (no lock, nothing runs), so the list shows it. */
  async function recordRejection(input: HandoverInput): Promise<void> {
    await client.workflow.start(handoverWorkflow, {
      workflowId: input.token,
      taskQueue: config.HANDOVER_TASK_QUEUE,
      args: [input],
      typedSearchAttributes: initialSearchAttributes(input, 'rejected'),
      memo: { comment: input.spec.comment, source_uri: input.spec.src_uri },
    });
  }

  /** Starts a handover under its database's lock (409 when another handover of it runs). */
  async function startUnderLock(input: HandoverInput, targetUri: string): Promise<void> {
    const lockId = lockWorkflowId(targetUri);
    try {
      await client.workflow.start(databaseLockWorkflow, {
        workflowId: lockId,
        taskQueue: config.HANDOVER_TASK_QUEUE,
        args: [{ lockKey: lockId, handover: input }],
        workflowIdConflictPolicy: 'FAIL',
        memo: { token: input.token },
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        const holder = await client.workflow.getHandle(lockId).describe();
        throw new HandoverConflict(String(holder.memo?.token ?? ''));
      }
      throw err;
    }
    await waitUntilStarted(input.token);
  }

  /**
   * A handover recorded before `type` meant the update type, in today's shape: its `type` was the
   * database type, and it named no update (restarted, it is recorded as `other`).
   */
  function upgraded(input: HandoverInput): HandoverInput {
    return input.databaseType !== undefined ? input : { ...input, databaseType: input.spec.type, spec: { ...input.spec, type: 'other' } };
  }

  /** A handover's input as it started (recorded URIs and sealed credentials), from its history. */
  async function originalInput(token: string): Promise<HandoverInput> {
    const history = await handle(token).fetchHistory();
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    if (!payload) throw new Error(`handover ${token} has no recorded input`);
    return defaultPayloadConverter.fromPayload<HandoverInput>(payload);
  }

  /** The lock workflow starts the handover as its child; wait (briefly) until it exists, so its token answers at once. */
  async function waitUntilStarted(token: string): Promise<void> {
    for (let i = 0; i < 100; i++) {
      try {
        await handle(token).describe();
        return;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}

export type HandoverService = ReturnType<typeof createHandoverService>;
