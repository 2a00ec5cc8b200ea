import { createServer } from 'node:net';
import { FinalAnswer } from './wait';

/**
 * A TCP port free on loopback right now, chosen below the kernel's ephemeral range (32768 and up on
 * Linux): a port from that range can be taken, between our check and the server's bind, by any
 * outgoing connection or by a server asking for port 0 (the Temporal dev server does, for its own
 * internal services). Tests that start servers also retry on a lost port (see startTemporalServer).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (await isFree(port)) return port;
  }
  throw new Error('no free TCP port found between 20000 and 32000 on 127.0.0.1');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Starts a server on ports picked by freePort, again on others (up to three times) when it exits
 * early, which is how a port taken between our check and its bind shows (`start` then throws FinalAnswer).
 */
export async function startOnFreePorts<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (!(err instanceof FinalAnswer) || attempt === 3) throw err;
      console.warn(`${err.message}; starting it again on other ports`);
    }
  }
}
