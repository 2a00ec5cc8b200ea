/** The test helpers' port picking: below the ephemeral range, and a server that lost its port is started again. */
import { createServer } from 'node:net';
import { freePort, startOnFreePorts } from '../helpers/ports';
import { FinalAnswer } from '../helpers/wait';

test('freePort gives a bindable port below the ephemeral range', async () => {
  const port = await freePort();
  expect(port).toBeGreaterThanOrEqual(20000);
  expect(port).toBeLessThan(32768);
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  await new Promise((r) => server.close(r));
});

test('startOnFreePorts starts again after an early exit, at most three times, and not after other errors', async () => {
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  let calls = 0;
  await expect(startOnFreePorts(async () => (++calls < 3 ? Promise.reject(new FinalAnswer('exited')) : 'up'))).resolves.toBe('up');
  expect(calls).toBe(3);
  calls = 0;
  await expect(startOnFreePorts(async () => (++calls, Promise.reject(new FinalAnswer('exited again'))))).rejects.toThrow('exited again');
  expect(calls).toBe(3);
  calls = 0;
  await expect(startOnFreePorts(async () => (++calls, Promise.reject(new Error('not installed'))))).rejects.toThrow('not installed');
  expect(calls).toBe(1);
});
