/** The workflows the worker registers. */
export { handoverWorkflow } from './handover';
export { databaseLockWorkflow } from './lock';
export { batchWorkflow } from './batch';
export { refusalsWorkflow } from './refusals';
export { finalEmailWorkflow } from './email';
