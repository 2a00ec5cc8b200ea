/**
 * What the API does with Temporal: start a handover under its database lock, read its progress,
 * list handovers from visibility, cancel one. Routes stay thin; tests call these through HTTP.
 */
import { randomUUID } from 'node:crypto';
import { type Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { admit, databaseTypeOf } from '../common/admission';
import { type Config, PROJECT_STATE_PATHS, admissionRulesFrom, stagingUrisFrom, timingsFrom, updateTypesFrom } from '../common/config';
import { databaseKey, deriveTargetUri, parseDbUri, withoutPassword } from '../common/db-uri';
import type { Sealer } from '../common/secrets';
import type { HandoverSpec } from '../common/spec';
import { TargetRefused, confineTarget } from '../common/staging';
import { type Caller, hasRole } from './caller';
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
  type Refusal,
  REFUSALS_WORKFLOW,
  RESTARTABLE_STEPS,
  type RestartableStep,
  batchProgressQuery,
  cancelSignal,
  progressQuery,
  recordRefusalSignal,
  refusalsQuery,
  refusalsWorkflowId,
  reportsQuery,
  searchAttributes,
} from '../workflows/definitions';
import { batchWorkflow } from '../workflows/batch';
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
/** The caller may not act on this handover (a `submit` key acting on another's handover). */
export class HandoverForbidden extends Error {}
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
  submitted_by?: string;
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
  const staging = { stagingUris: stagingUrisFrom(config), protectedPaths: PROJECT_STATE_PATHS };
  const refusalsId = refusalsWorkflowId(config.HANDOVER_TASK_QUEUE);

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

  /** A `submit` key acts on its own handovers only; `operate` and `admin` on any. */
  function mayActOn(caller: Caller, submittedBy: string | undefined, token: string): void {
    if (hasRole(caller.role, 'operate')) return;
    if (!submittedBy || submittedBy !== caller.name) throw new HandoverForbidden(`handover ${token} was not submitted by ${caller.name}; cancelling or restarting it needs the operate role`);
  }

  const service = {
    /** Starts a handover; returns its token once the handover workflow exists. */
    async submit(spec: HandoverSpec, caller: Caller): Promise<string> {
      const prepared = await prepare(spec, caller);
      if (prepared.refusal) {
        await recordRefusals([prepared.refusal]);
        throw new HandoverRejected(prepared.refusal.token, [{ field: prepared.refusal.field, message: prepared.refusal.reason }], prepared.closed);
      }
      await startUnderLock(prepared.input!, prepared.targetUri);
      return prepared.input!.token;
    },

    /** Starts a batch: one handover per database, each under its own lock, one summary email at the end. */
    async submitBatch(contact: string, specs: HandoverSpec[], caller: Caller): Promise<{ batchId: string; tokens: string[] }> {
      const prepared = [];
      for (const [i, spec] of specs.entries()) {
        try {
          prepared.push(await prepare(spec, caller));
        } catch (err) {
          if (err instanceof HandoverRefused) throw new HandoverRefused(`handovers.${i}.${err.field}`, err.message);
          throw err;
        }
      }
      const refused = prepared.map((p, i) => ({ ...p, i })).filter((p) => p.refusal);
      if (refused.length) {
        // Nothing of a batch starts while any of it is refused; the refusals are recorded together.
        await recordRefusals(refused.map((r) => r.refusal!));
        const issues = refused.map((r) => ({ field: `handovers.${r.i}.${r.refusal!.field}`, message: r.refusal!.reason }));
        throw new HandoverRejected(refused[0].refusal!.token, issues, refused.some((r) => r.closed));
      }
      const batchId = `batch-${randomUUID()}`;
      const items = prepared.map(({ input, targetUri }) => ({ lockKey: lockWorkflowId(targetUri), handover: input! }));
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
    async restart(token: string, from: RestartableStep | undefined, caller: Caller): Promise<string> {
      const original = await service.progress(token);
      mayActOn(caller, original.submitted_by, token);
      if (original.status === 'running' || original.status === 'completed') throw new HandoverNotRestartable(original.status);
      if (original.status === 'rejected') throw new HandoverRefused('token', 'was refused by the admission rules; submit it again instead');
      const stopped = original.failure?.step ?? original.timeline.at(-1)?.step ?? 'healthcheck';
      const start: RestartableStep = from ?? (stopped === 'checking' ? 'healthcheck' : stopped);
      for (const step of RESTARTABLE_STEPS.slice(0, RESTARTABLE_STEPS.indexOf(start))) {
        const outcome = original.timeline.find((t) => t.step === step)?.outcome;
        if (outcome !== 'passed' && outcome !== 'skipped') {
          throw new HandoverRefused('from', `cannot skip the ${step} step: it did not pass in handover ${token}; restart from ${step} or earlier`);
        }
      }
      const recorded = upgraded(await originalInput(token));
      // The staging places may have changed since (or the original predates the check): check again.
      try {
        await confineTarget(recorded.spec.tgt_uri, recorded.spec.src_uri, staging);
      } catch (err) {
        if (err instanceof TargetRefused) throw new HandoverRefused('token', `cannot be restarted: its target ${recorded.spec.tgt_uri} ${err.message}`);
        throw err;
      }
      const newToken = randomUUID();
      const input: HandoverInput = {
        ...recorded,
        token: newToken,
        // The original's credentials, sealed again for the new handover (a sealed URI opens for its own handover only).
        sealed: resealed(recorded, newToken),
        submittedBy: caller.authenticated ? caller.name : recorded.submittedBy,
        restart: { token, from: start, events: start === 'event' ? original.events : undefined },
        timings: timingsFrom(config),
        submittedAt: new Date().toISOString(),
      };
      // The original reports `failed` a moment before it closes (its email goes last) and releases the lock.
      await retryWhile(
        () => startUnderLock(input, recorded.spec.tgt_uri),
        (err) => err instanceof HandoverConflict && err.token === token,
      );
      return input.token;
    },

    async progress(token: string): Promise<HandoverProgress> {
      let description;
      try {
        description = await describeHandover(token);
      } catch (err) {
        const refusal = err instanceof HandoverNotFound ? await findRefusal(token) : undefined;
        if (refusal) return refusalProgress(refusal);
        throw err;
      }
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

    /** The handover's step reports, oldest first (none for handovers from before reports existed, nor for refusals). */
    async reports(token: string): Promise<HandoverReport[]> {
      try {
        await describeHandover(token);
      } catch (err) {
        if (err instanceof HandoverNotFound && (await findRefusal(token))) return [];
        throw err;
      }
      return handle(token).query(reportsQuery);
    },

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
      if (!filters.status || filters.status === 'rejected') {
        for (const r of await refusals()) {
          const row = refusalRow(r);
          const matches = (key: keyof ListFilters & keyof HandoverRow) => !filters[key] || filters[key] === row[key];
          if (matches('database') && matches('contact') && matches('type') && matches('update_type')) rows.push(row);
        }
      }
      return rows.sort((a, b) => (b.submitted_at ?? '').localeCompare(a.submitted_at ?? '')).slice(0, filters.limit);
    },

    async cancel(token: string, request: CancelRequest, caller: Caller): Promise<void> {
      let description;
      try {
        description = await describeHandover(token);
      } catch (err) {
        if (err instanceof HandoverNotFound && (await findRefusal(token))) throw new HandoverEnded('rejected');
        throw err;
      }
      mayActOn(caller, description.memo?.submitted_by as string | undefined, token);
      if (description.status.name !== 'RUNNING') throw new HandoverEnded(description.status.name.toLowerCase());
      // With keys, who cancelled is the key's name, not what the body says.
      await handle(token).signal(cancelSignal, { ...request, by: caller.authenticated ? caller.name : request.by });
    },
  };
  return service;

  /**
   * A submission made ready to start: admission rules applied (a refusal is made ready to be
   * recorded), the target derived from the staging rules and confined to staging, passwords sealed
   * away from what is recorded.
   */
  async function prepare(spec: HandoverSpec, caller: Caller): Promise<{ input?: HandoverInput; refusal?: Refusal; targetUri: string; closed: boolean }> {
    const token = randomUUID();
    const submittedAt = new Date().toISOString();
    const submittedBy = caller.authenticated ? caller.name : undefined;
    const sourceName = parseDbUri(spec.src_uri).database;
    const admission = admit(sourceName, rules);
    if (!admission.admitted) {
      // Kept short: the log holds many of them, and shows them to everyone who lists.
      const clip = (text: string | undefined, max: number) => (text && text.length > max ? `${text.slice(0, max - 1)}…` : text);
      const recorded = {
        src_uri: clip(withoutPassword(spec.src_uri), 256)!,
        tgt_uri: clip(spec.tgt_uri ? withoutPassword(spec.tgt_uri) : '', 256)!,
        contact: spec.contact,
        type: spec.type,
        comment: clip(spec.comment, 200)!,
        source: clip(spec.source, 100),
      };
      const refusal: Refusal = {
        token,
        submitted_at: submittedAt,
        submitted_by: submittedBy,
        database: sourceName,
        database_type: databaseTypeOf(sourceName),
        update_type: spec.type,
        spec: recorded,
        field: admission.field,
        reason: admission.reason,
      };
      return { refusal, targetUri: spec.src_uri, closed: admission.closed };
    }
    const given = spec.tgt_uri ?? deriveTargetUri(admission.stagingUri, spec.src_uri);
    if (databaseKey(given) === databaseKey(spec.src_uri)) {
      throw new HandoverRefused('tgt_uri', 'is the same database as src_uri');
    }
    // What was checked is what runs: the target in its canonical form (and the lock is keyed on it).
    let targetUri: string;
    try {
      targetUri = await confineTarget(given, spec.src_uri, staging);
    } catch (err) {
      if (err instanceof TargetRefused) throw new HandoverRefused(spec.tgt_uri ? 'tgt_uri' : 'src_uri', `${spec.tgt_uri ? '' : 'gives a target that '}${err.message}`);
      throw err;
    }
    const recorded = { ...spec, src_uri: withoutPassword(spec.src_uri), tgt_uri: withoutPassword(targetUri) };
    const seal = (uri: string, shown: string) => (parseDbUri(uri).password !== undefined ? sealer.seal(uri, { token, uri: shown }) : undefined);
    const input: HandoverInput = {
      token,
      timings: timingsFrom(config),
      submittedAt,
      submittedBy,
      spec: recorded,
      database: parseDbUri(targetUri).database,
      databaseType: admission.name.type,
      sealed: { src_uri: seal(spec.src_uri, recorded.src_uri), tgt_uri: seal(targetUri, recorded.tgt_uri) },
      release: rules.release,
    };
    return { input, targetUri, closed: false };
  }

  /** The original's sealed URIs, opened with its binding and sealed again for the new token. */
  function resealed(original: HandoverInput, token: string): HandoverInput['sealed'] {
    const again = (sealed: string | undefined, uri: string) => {
      if (!sealed) return undefined;
      try {
        return sealer.seal(sealer.unseal(sealed, { token: original.token, uri }), { token, uri });
      } catch (err) {
        throw new HandoverRefused('token', `cannot be restarted: ${(err as Error).message.replace(/; restart the handover.*$/, '')}; submit it again with its credentials`);
      }
    };
    return { src_uri: again(original.sealed.src_uri, original.spec.src_uri), tgt_uri: again(original.sealed.tgt_uri, original.spec.tgt_uri) };
  }

  /** Refusals go to the one refusals workflow as one signal: no workflow per refused request. */
  async function recordRefusals(refusals: Refusal[]): Promise<void> {
    await client.workflow.signalWithStart(REFUSALS_WORKFLOW, {
      workflowId: refusalsId,
      taskQueue: config.HANDOVER_TASK_QUEUE,
      args: [[]],
      signal: recordRefusalSignal,
      signalArgs: [refusals],
    });
  }

  async function refusals(): Promise<Refusal[]> {
    try {
      return await handle(refusalsId).query(refusalsQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return [];
      throw err;
    }
  }

  async function findRefusal(token: string): Promise<Refusal | undefined> {
    return (await refusals()).find((r) => r.token === token);
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
    // The lock workflow starts the handover as its child; wait (briefly) until it exists, so its token answers at once.
    await retryWhile(
      () => handle(input.token).describe(),
      (err) => err instanceof WorkflowNotFoundError,
    ).catch((err) => {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    });
  }

  /** A handover's input as it started (recorded URIs and sealed credentials), from its history. */
  async function originalInput(token: string): Promise<HandoverInput> {
    const history = await handle(token).fetchHistory();
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    if (!payload) throw new Error(`handover ${token} has no recorded input`);
    return defaultPayloadConverter.fromPayload<HandoverInput>(payload);
  }

  /**
   * A handover recorded before `type` meant the update type, in today's shape: its `type` was the
   * database type, and it named no update (restarted, it is recorded as `other`).
   */
  function upgraded(input: HandoverInput): HandoverInput {
    return input.databaseType !== undefined ? input : { ...input, databaseType: input.spec.type, spec: { ...input.spec, type: 'other' } };
  }
}

/** Tries `attempt` every 100 ms, for up to 10 s, while it fails in a way `retryable` says will pass. */
async function retryWhile<T>(attempt: () => Promise<T>, retryable: (err: unknown) => boolean): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!retryable(err) || i >= 100) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A visibility query for the list's filters (values are quoted; the route refuses quotes and backslashes). */
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

/** A refusal as `GET /handovers/{token}` shows it: a handover that was rejected and never ran. */
function refusalProgress(r: Refusal): HandoverProgress {
  return {
    token: r.token,
    status: 'rejected',
    step: 'checking',
    progress: { complete: 0, total: 5 },
    spec: r.spec,
    update_type: r.update_type,
    database_type: r.database_type,
    submitted_by: r.submitted_by,
    submitted_at: r.submitted_at,
    ended_at: r.submitted_at,
    timeline: [],
    failure: { step: 'checking', kind: 'rejected', reason: `${r.field}: ${r.reason}` },
  };
}

function refusalRow(r: Refusal): HandoverRow {
  return {
    token: r.token,
    database: r.database,
    contact: r.spec.contact,
    type: r.database_type,
    update_type: r.update_type,
    submitted_by: r.submitted_by,
    status: 'rejected',
    step: 'checking',
    comment: r.spec.comment,
    src_uri: r.spec.src_uri,
    submitted_at: r.submitted_at,
    ended_at: r.submitted_at,
  };
}

export type HandoverService = ReturnType<typeof createHandoverService>;
