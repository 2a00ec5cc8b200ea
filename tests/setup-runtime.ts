/** Before each test file: the Temporal worker runtime logs errors only (failed handovers are expected here). */
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('ERROR') });
