/**
 * Before each test file: this Jest worker's servers (tests/global-setup.ts), and the Temporal worker runtime
 * logging errors only (failed handovers are expected here).
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { useWorkerSet } from './helpers/server-sets';

useWorkerSet();
Runtime.install({ logger: new DefaultLogger('ERROR') });
