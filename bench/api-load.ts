/**
 * Benchmark: the API under load (issue #13, "The API under load").
 *
 *   npm run bench:api -- [--connections 50] [--seconds 10] [--posts 1500]
 *
 * The real system (bench/support/system.ts: Temporal dev server, one worker, the API on a port) and job
 * services whose jobs run for an hour, so every handover stays running. autocannon drives, with 50 connections:
 *   - GET /health: the framework's floor (it also asks Temporal for its system info);
 *   - GET /handovers/{token} of a running handover (its progress: a describe and a query);
 *   - POST /handovers, each request a different database (then their workflows start on the worker).
 * Prints requests/s, p50 and p99 latency of each, and each one's ratio to the floor.
 */
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startBenchHandover, startBenchTemporal } from './support/system';
import { TimedJobServices } from './support/timed-services';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '10' },
    posts: { type: 'string', default: '1500' },
  },
});
const CONNECTIONS = Number(values.connections);
const SECONDS = Number(values.seconds);
const POSTS = Number(values.posts);

interface Figures {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function load(name: string, opts: autocannon.Options): Promise<Figures> {
  const result = await autocannon({ connections: CONNECTIONS, ...opts });
  const figures = {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  };
  console.log(
    `${name}: ${figures.rps.toFixed(0)} requests/s, p50 ${figures.p50} ms, p99 ${figures.p99} ms (${result.requests.total} ` +
      `requests, ${figures.errors} errors, ${figures.non2xx} not 2xx)`,
  );
  return figures;
}

async function main(): Promise<void> {
  const temporal = await startBenchTemporal();
  const services = new TimedJobServices(3_600_000);
  await services.start();
  const handover = await startBenchHandover(temporal, services, 'bench-api');
  try {
    const body = (src: string) => JSON.stringify({ src_uri: src, contact: 'bench@example.org', type: 'new_genebuild', comment: 'bench' });
    const first = await fetch(`${handover.url}/handovers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body(handover.source('homo_sapiens_core_110_1')),
    });
    const { token } = (await first.json()) as { token: string };
    console.log(`sources for ${POSTS} submissions...`);
    const sources = Array.from({ length: POSTS }, (_, i) => handover.source(`mus_musculus_core_110_${i}`));

    await load('warm-up', { url: `${handover.url}/health`, duration: 2 });
    const floor = await load('GET /health (floor)', { url: `${handover.url}/health`, duration: SECONDS });
    const read = await load('GET /handovers/{token}', { url: `${handover.url}/handovers/${token}`, duration: SECONDS });
    let next = 0;
    const post = await load('POST /handovers', {
      url: `${handover.url}/handovers`,
      amount: POSTS,
      requests: [
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          setupRequest: (req) => ({ ...req, body: body(sources[next++ % sources.length]) }),
        },
      ],
    });

    console.log('\nroute | requests/s | p50 | p99 | of the floor');
    for (const f of [floor, read, post])
      console.log(`${f.name} | ${f.rps.toFixed(0)} | ${f.p50} ms | ${f.p99} ms | ${(f.rps / floor.rps).toFixed(2)}`);
    console.log(`\ntarget (issue #13): reads at least 0.5 of the floor with ${CONNECTIONS} connections`);
  } finally {
    await handover.stop();
    await services.stop();
    await temporal.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
