/** Runs the real Temporal CLI against the test server, as an operator would from the README. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function temporal(...args: string[]): Promise<string> {
  const cli = process.env.TEST_TEMPORAL_CLI;
  if (!cli) throw new Error('the jest global setup did not find the Temporal CLI');
  const { stdout } = await run(cli, [...args, '--address', process.env.TEST_TEMPORAL_ADDRESS!], { encoding: 'utf8' });
  return stdout;
}
