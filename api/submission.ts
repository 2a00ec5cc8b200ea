/**
 * The rules of a submission, apart from Temporal: admission, the target (derived, confined to
 * staging, canonical), sealed credentials, refusals as they are kept, who may act on a handover, and
 * from which step a restart begins. Pure but for the file-system and DNS look-ups that confining a
 * target needs; unit-tested without a server (tests/unit/submission.test.ts).
 */
import { randomUUID } from 'node:crypto';
import { admit, databaseTypeOf } from '../common/admission';
import { type Config, admissionRulesFrom, sourcePlacesFrom, stagingUrisFrom, timingsFrom } from '../common/config';
import { PROJECT_STATE_PATHS } from '../common/project-paths';
import { databaseKey, deriveTargetUri, parseDbUri, withoutPassword } from '../common/db-uri';
import type { Sealer } from '../common/secrets';
import type { HandoverSpec } from '../common/spec';
import { SourceRefused, confineSource } from '../common/sources';
import { TargetRefused, confineTarget } from '../common/staging';
import {
  type HandoverInput,
  type HandoverProgress,
  RESTARTABLE_STEPS,
  type Refusal,
  type RestartableStep,
  handoverTypes,
  lockWorkflowId,
  updateTypeOf,
  withUpdateType,
} from '../vocabulary';
import { type Caller, hasRole } from './caller';
import { HandoverForbidden, HandoverNotRestartable, InvalidRequest } from './errors';

/** A submission made ready: a handover to start under its lock, or a refusal to keep. */
export type Prepared =
  { input: HandoverInput; lockId: string; refusal?: undefined } | { refusal: Refusal; closed: boolean; input?: undefined };

export function submissionRules(config: Config, sealer: Sealer) {
  const rules = admissionRulesFrom(config);
  const staging = { stagingUris: stagingUrisFrom(config), protectedPaths: PROJECT_STATE_PATHS };
  const sources = sourcePlacesFrom(config);

  /**
   * The source in its canonical form (credentials kept), the one that is recorded and connected to;
   * refused (400, naming the field) unless it is in a configured source place: nothing has started.
   */
  async function allowedSource(source: string, field: string, prefix = ''): Promise<string> {
    try {
      return await confineSource(source, sources);
    } catch (err) {
      if (err instanceof SourceRefused) throw new InvalidRequest(field, `${prefix}${err.message}`);
      throw err;
    }
  }

  /** The target confined to staging, in its canonical form; refused (400) naming the field. */
  async function confined(target: string, source: string, field: string, prefix = ''): Promise<string> {
    try {
      return await confineTarget(target, source, staging);
    } catch (err) {
      if (err instanceof TargetRefused) throw new InvalidRequest(field, `${prefix}${err.message}`);
      throw err;
    }
  }

  return {
    rules,

    /**
     * Admission rules applied (a refusal is made ready to be kept), the target derived from the
     * staging rules and confined to staging, passwords sealed away from what is recorded.
     */
    async prepare(spec: HandoverSpec, caller: Caller): Promise<Prepared> {
      const token = randomUUID();
      const submittedAt = new Date().toISOString();
      const submittedBy = caller.authenticated ? caller.name : undefined;
      // What was checked is what runs: the source in its canonical form (a later DNS answer cannot move it).
      const sourceUri = await allowedSource(spec.src_uri, 'src_uri');
      const sourceName = parseDbUri(sourceUri).database;
      const admission = admit(sourceName, rules);
      if (!admission.admitted) {
        const refusal: Refusal = {
          token,
          submitted_at: submittedAt,
          submitted_by: submittedBy,
          database: sourceName,
          database_type: databaseTypeOf(sourceName),
          update_type: updateTypeOf(spec),
          spec: clipped(spec),
          field: admission.field,
          reason: admission.reason,
        };
        return { refusal, closed: admission.closed };
      }
      const given = spec.tgt_uri ?? deriveTargetUri(admission.stagingUri, sourceUri);
      if (databaseKey(given) === databaseKey(sourceUri)) throw new InvalidRequest('tgt_uri', 'is the same database as src_uri');
      // The target in its canonical form too (and the lock is keyed on it).
      const targetUri = spec.tgt_uri
        ? await confined(given, sourceUri, 'tgt_uri')
        : await confined(given, sourceUri, 'src_uri', 'gives a target that ');
      const recorded = { ...spec, src_uri: withoutPassword(sourceUri), tgt_uri: withoutPassword(targetUri) };
      const seal = (uri: string, shown: string) =>
        parseDbUri(uri).password !== undefined ? sealer.seal(uri, { token, uri: shown }) : undefined;
      const input: HandoverInput = {
        token,
        timings: timingsFrom(config),
        submittedAt,
        submittedBy,
        spec: recorded,
        database: parseDbUri(targetUri).database,
        databaseType: admission.name.type,
        sealed: { src_uri: seal(sourceUri, recorded.src_uri), tgt_uri: seal(targetUri, recorded.tgt_uri) },
        release: rules.release,
        flow: config.HANDOVER_FLOW,
      };
      return { input, lockId: lockWorkflowId(databaseKey(targetUri)) };
    },

    /** A `submit` key acts on its own handovers only; `operate` and `admin` on any. */
    mayActOn(caller: Caller, submittedBy: string | undefined, token: string): void {
      if (hasRole(caller.role, 'operate')) return;
      if (!submittedBy || submittedBy !== caller.name) {
        throw new HandoverForbidden(
          `handover ${token} was not submitted by ${caller.name}; cancelling or restarting it needs the operate role`,
        );
      }
    },

    /** The step a restart begins at (by default the one that failed or was running); refused if a skipped step did not pass. */
    restartFrom(original: HandoverProgress, from: RestartableStep | undefined): RestartableStep {
      if (original.status === 'running' || original.status === 'completed') throw new HandoverNotRestartable(original.status);
      if (original.status === 'rejected') throw new InvalidRequest('token', 'was refused by the admission rules; submit it again instead');
      const stopped = original.failure?.step ?? original.timeline.at(-1)?.step ?? 'healthcheck';
      const start: RestartableStep = from ?? (stopped === 'checking' ? 'healthcheck' : stopped);
      for (const step of RESTARTABLE_STEPS.slice(0, RESTARTABLE_STEPS.indexOf(start))) {
        const outcome = original.timeline.find((t) => t.step === step)?.outcome;
        if (outcome !== 'passed' && outcome !== 'skipped') {
          throw new InvalidRequest(
            'from',
            `cannot skip the ${step} step: it did not pass in handover ${original.token}; restart from ${step} or earlier`,
          );
        }
      }
      return start;
    },

    /**
     * The input of a restart: the original's, in today's shape, its source and target checked again
     * (the source and staging places may have changed since) and the source pinned again to its
     * canonical form, its credentials sealed again for the new token.
     */
    async restartInput(
      original: HandoverInput,
      progress: HandoverProgress,
      start: RestartableStep,
      caller: Caller,
    ): Promise<{ input: HandoverInput; lockId: string }> {
      const recorded = upgraded(original);
      const token = randomUUID();
      // The full source (its sealed password opened with the original's binding), checked and pinned again.
      const fullSource = recorded.sealed.src_uri
        ? opened(recorded.sealed.src_uri, recorded.token, recorded.spec.src_uri)
        : recorded.spec.src_uri;
      const sourceUri = await allowedSource(fullSource, 'token', `cannot be restarted: its source ${recorded.spec.src_uri} `);
      const srcUri = withoutPassword(sourceUri);
      const targetUri = await confined(
        recorded.spec.tgt_uri,
        sourceUri,
        'token',
        `cannot be restarted: its target ${recorded.spec.tgt_uri} `,
      );
      const input: HandoverInput = {
        ...recorded,
        token,
        spec: { ...recorded.spec, src_uri: srcUri },
        sealed: {
          src_uri: recorded.sealed.src_uri ? sealer.seal(sourceUri, { token, uri: srcUri }) : undefined,
          tgt_uri: resealed(recorded.sealed.tgt_uri, recorded.token, recorded.spec.tgt_uri, token),
        },
        submittedBy: caller.authenticated ? caller.name : recorded.submittedBy,
        restart: { token: original.token, from: start, events: start === 'event' ? progress.events : undefined },
        timings: timingsFrom(config),
        submittedAt: new Date().toISOString(),
        // Restarted under today's flow, whatever the original's.
        flow: config.HANDOVER_FLOW,
      };
      return { input, lockId: lockWorkflowId(databaseKey(targetUri)) };
    },
  };

  /** An original's sealed URI, opened with its binding (its token and recorded URI); refused (400) if it cannot be. */
  function opened(sealed: string, originalToken: string, uri: string): string {
    try {
      return sealer.unseal(sealed, { token: originalToken, uri });
    } catch (err) {
      throw new InvalidRequest(
        'token',
        `cannot be restarted: ${(err as Error).message.replace(/; restart the handover.*$/, '')}; submit it again with its credentials`,
      );
    }
  }

  /** An original's sealed URI, opened with its binding and sealed again for the new token, bound to the same URI. */
  function resealed(sealed: string | undefined, originalToken: string, uri: string, token: string): string | undefined {
    return sealed ? sealer.seal(opened(sealed, originalToken, uri), { token, uri }) : undefined;
  }
}

/** A refusal's specification, kept short: the log holds many of them, and shows them to everyone who lists. */
function clipped(spec: HandoverSpec): Refusal['spec'] {
  const clip = (text: string | undefined, max: number) => (text && text.length > max ? `${text.slice(0, max - 1)}…` : text);
  return {
    src_uri: clip(withoutPassword(spec.src_uri), 256)!,
    tgt_uri: clip(spec.tgt_uri ? withoutPassword(spec.tgt_uri) : '', 256)!,
    contact: spec.contact,
    type: spec.type,
    comment: clip(spec.comment, 200)!,
    source: clip(spec.source, 100),
  };
}

/**
 * A handover recorded before `type` meant the update type, in today's shape: its `type` was the
 * database type, and it named no update (restarted, it is recorded as `other`).
 */
export function upgraded(input: HandoverInput): HandoverInput {
  return input.databaseType !== undefined
    ? input
    : { ...input, databaseType: handoverTypes(input).databaseType, spec: withUpdateType(input.spec, 'other') };
}

export type SubmissionRules = ReturnType<typeof submissionRules>;
