/**
 * The floor of bench/throughput: the smallest workflow of a handover's shape, with no logic. A parent (the
 * database lock) runs a child (the handover) that runs nine sequential activities that do nothing.
 */
import { executeChild, proxyActivities } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '1m' });

export async function floorChild(): Promise<void> {
  for (let i = 0; i < 9; i++) await noop();
}

export async function floorParent(id: string): Promise<void> {
  await executeChild(floorChild, { workflowId: `${id}-child` });
}
