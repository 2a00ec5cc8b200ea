/**
 * The floor of bench/throughput: the smallest workflow of a handover's shape, with no logic. A parent (the
 * database lock) runs a child (the handover) that runs nine sequential activities that do nothing.
 * bench/temporal-costs adds, one kind at a time, what a handover's history has beyond that shape.
 */
import type { Duration } from '@temporalio/common';
import { executeChild, patched, proxyActivities, proxyLocalActivities, upsertSearchAttributes } from '@temporalio/workflow';
import { searchAttributes } from '../vocabulary';

const { noopLocal } = proxyLocalActivities<{ noopLocal(): Promise<void> }>({ startToCloseTimeout: '1m' });

/** What the child does besides its nine activities, each before one of the first activities. */
export interface FloorExtras {
  /** Search-attribute upserts (HandoverStep), as a handover writes its step. */
  upserts?: number;
  /** Local activities run beside the next activity, as a handover publishes its reports. */
  localActivities?: number;
  /** patched() calls (each a marker and an upsert of TemporalChangeVersion). */
  patches?: number;
  /** The activities' start-to-close timeout (1m): the server's timer for it fires even after the activity is done. */
  activityTimeout?: Duration;
}

export async function floorChild(extras: FloorExtras = {}): Promise<void> {
  const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: extras.activityTimeout ?? '1m' });
  for (let i = 0; i < 9; i++) {
    if (i < (extras.upserts ?? 0)) upsertSearchAttributes([{ key: searchAttributes.step, value: `step-${i}` }]);
    if (i < (extras.patches ?? 0)) patched(`bench-patch-${i}`);
    const local = i < (extras.localActivities ?? 0) ? noopLocal() : undefined;
    await noop();
    await local;
  }
}

export async function floorParent(id: string, extras: FloorExtras = {}): Promise<void> {
  await executeChild(floorChild, { workflowId: `${id}-child`, args: [extras] });
}
