/**
 * What the API does: the submission rules (./submission) carried out through Temporal (./gateway).
 * Routes stay thin and call these; refusals are errors from ./errors, answered in one place.
 */
import { randomUUID } from 'node:crypto';
import type { WaitingStep } from '../common/callbacks';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { type Config, contactDomainsFrom, updateTypesFrom } from '../common/config';
import type { Sealer } from '../common/secrets';
import { type HandoverSpec, contactDomainProblem } from '../common/spec';
import {
  type BatchProgress,
  type CancelRequest,
  type HandoverInput,
  type HandoverProgress,
  type HandoverReport,
  type Refusal,
  type RestartableStep,
  handoverTypes,
  listFilterTypes,
  listRowTypes,
  searchAttributes,
  withObjectDetails,
} from '../vocabulary';
import type { Caller } from './caller';
import { HandoverConflict, HandoverEnded, HandoverNotFound, HandoverRejected, InvalidRequest } from './errors';
import { temporalGateway } from './gateway';
import type { ApiMetrics } from './metrics';
import { submissionRules } from './submission';
import type { HandoverRow, ListFilters } from './types';

export interface HandoverServiceDeps {
  client: Client;
  config: Config;
  sealer: Sealer;
  /** Handovers started and lock conflicts are counted here (api/metrics.ts). */
  metrics?: ApiMetrics;
}

export function createHandoverService({ client, config, sealer, metrics }: HandoverServiceDeps) {
  const rules = submissionRules(config, sealer);
  const contactDomains = contactDomainsFrom(config);
  const temporal = temporalGateway(client, config);
  const started = (inputs: HandoverInput[]) => {
    for (const input of inputs) {
      const { databaseType, updateType } = handoverTypes(input);
      metrics?.handoversStarted.inc({ database_type: databaseType, update_type: updateType ?? 'none' });
    }
  };

  const findRefusal = async (token: string) => (await temporal.refusals()).find((r) => r.token === token);

  /** A handover by token, or a refusal kept under it (HandoverNotFound when neither). */
  async function handoverOrRefusal<T>(token: string, ofHandover: () => Promise<T>, ofRefusal: (r: Refusal) => T | Promise<T>): Promise<T> {
    try {
      return await ofHandover();
    } catch (err) {
      const refusal = err instanceof HandoverNotFound ? await findRefusal(token) : undefined;
      if (refusal) return ofRefusal(refusal);
      throw err;
    }
  }

  const service = {
    /** Starts a handover; returns its token once the handover workflow exists. */
    async submit(spec: HandoverSpec, caller: Caller): Promise<string> {
      const prepared = await rules.prepare(spec, caller);
      if (prepared.refusal) {
        await temporal.recordRefusals([prepared.refusal]);
        throw new HandoverRejected(
          prepared.refusal.token,
          [{ field: prepared.refusal.field, message: prepared.refusal.reason }],
          prepared.closed,
        );
      }
      try {
        await temporal.startUnderLock(prepared.input, prepared.lockId);
      } catch (err) {
        if (err instanceof HandoverConflict) metrics?.lockConflicts.inc();
        throw err;
      }
      started([prepared.input]);
      return prepared.input.token;
    },

    /** Starts a batch: one handover per database, each under its own lock, one summary email at the end. */
    async submitBatch(contact: string, specs: HandoverSpec[], caller: Caller): Promise<{ batchId: string; tokens: string[] }> {
      const prepared = [];
      for (const [i, spec] of specs.entries()) {
        try {
          prepared.push(await rules.prepare(spec, caller));
        } catch (err) {
          if (err instanceof InvalidRequest) throw new InvalidRequest(`handovers.${i}.${err.field}`, err.message);
          throw err;
        }
      }
      const refused = prepared.flatMap((p, i) => (p.refusal ? [{ refusal: p.refusal, closed: p.closed, i }] : []));
      if (refused.length) {
        // Nothing of a batch starts while any of it is refused; the refusals are kept together.
        await temporal.recordRefusals(refused.map((r) => r.refusal));
        const issues = refused.map((r) => ({ field: `handovers.${r.i}.${r.refusal.field}`, message: r.refusal.reason }));
        throw new HandoverRejected(
          refused[0].refusal.token,
          issues,
          refused.some((r) => r.closed),
        );
      }
      const batchId = `batch-${randomUUID()}`;
      const items = prepared.flatMap((p) => (p.input ? [{ lockKey: p.lockId, handover: p.input }] : []));
      await temporal.startBatch({ batchId, contact, items });
      started(items.map((i) => i.handover));
      return { batchId, tokens: items.map((i) => i.handover.token) };
    },

    admission() {
      const { allowedTypes, release } = rules.rules;
      return {
        open: allowedTypes.length > 0,
        allowed_types: allowedTypes,
        update_types: updateTypesFrom(config),
        release: release ?? null,
      };
    },

    batch: (batchId: string): Promise<BatchProgress> => temporal.batch(batchId),

    /**
     * Restarts a failed or cancelled handover from a step (by default the one that failed or was
     * running), as a new handover linked to the original; the steps before it are not repeated.
     */
    async restart(token: string, from: RestartableStep | undefined, caller: Caller): Promise<string> {
      const original = await service.progress(token);
      rules.mayActOn(caller, original.submitted_by, token);
      // A restart mails the original's contact: under HANDOVER_CONTACT_DOMAINS it must be allowed now too.
      const contactProblem = contactDomainProblem(original.spec.contact, contactDomains);
      if (contactProblem) throw new InvalidRequest('contact', `the handover's contact ${original.spec.contact} ${contactProblem}`);
      const start = rules.restartFrom(original, from);
      const { input, lockId } = await rules.restartInput(await temporal.originalInput(token), original, start, caller);
      // The original reports `failed` a moment before it closes (its email goes last) and releases the lock.
      await temporal
        .soon(
          () => temporal.startUnderLock(input, lockId),
          (err) => err instanceof HandoverConflict && err.token === token,
        )
        .catch((err: unknown) => {
          if (err instanceof HandoverConflict) metrics?.lockConflicts.inc();
          throw err;
        });
      started([input]);
      return input.token;
    },

    /** (Events recorded before the activities normalised them may hold `details` as a JSON string: answered as an object.) */
    progress: async (token: string): Promise<HandoverProgress> =>
      withObjectDetails(await handoverOrRefusal(token, () => temporal.progress(token), refusalProgress)),

    /** The handover's step reports, oldest first (none for handovers from before reports existed, nor for refusals). */
    reports: (token: string): Promise<HandoverReport[]> =>
      handoverOrRefusal(
        token,
        () => temporal.reports(token),
        () => [],
      ),

    /** Handovers and kept refusals, newest first. */
    async list(filters: ListFilters): Promise<HandoverRow[]> {
      const rows = await temporal.list(filters);
      if (!filters.status || filters.status === 'rejected') {
        const { databaseType, updateType } = listFilterTypes(filters);
        const matches = (wanted: string | undefined, value: string | undefined) => !wanted || wanted === value;
        for (const r of await temporal.refusals()) {
          if (
            matches(filters.database, r.database) &&
            matches(filters.contact, r.spec.contact) &&
            matches(databaseType, r.database_type) &&
            matches(updateType, r.update_type)
          )
            rows.push(refusalRow(r));
        }
      }
      return rows.sort((a, b) => (b.submitted_at ?? '').localeCompare(a.submitted_at ?? '')).slice(0, filters.limit);
    },

    async cancel(token: string, request: CancelRequest, caller: Caller): Promise<void> {
      const description = await handoverOrRefusal(
        token,
        () => temporal.describeHandover(token),
        () => {
          throw new HandoverEnded('rejected');
        },
      );
      rules.mayActOn(caller, description.memo?.submitted_by as string | undefined, token);
      if (description.status.name !== 'RUNNING') throw new HandoverEnded(description.status.name.toLowerCase());
      // Still running, but its outcome may be decided (sending its final email, which a cancel no longer stops): the
      // status it records as a search attribute says so, in the same describe (no query, no worker needed).
      const decided = description.typedSearchAttributes.get(searchAttributes.status);
      if (decided && decided !== 'running') throw new HandoverEnded(decided);
      // With keys, who cancelled is the key's name, not what the body says.
      try {
        await temporal.cancel(token, { ...request, by: caller.authenticated ? caller.name : request.by });
      } catch (err) {
        // It closed between the describe and the signal (Temporal answers "workflow execution already completed"
        // as not found): the same answer as a cancel that came after the close.
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        throw new HandoverEnded((await temporal.describeHandover(token)).status.name.toLowerCase());
      }
    },

    /** A completion callback (already verified): the step's waiting poll runs now. */
    pollNow: (token: string, step: WaitingStep) => temporal.pollNow(token, step),
  };
  return service;
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
    ...listRowTypes({ databaseType: r.database_type, updateType: r.update_type }),
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
