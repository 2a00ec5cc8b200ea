/**
 * How a worker process is started (npm start, npm run worker, worker:built, the benchmarks): a young generation
 * of 16 MB (V8's default grows it to tens of MB per space under load) and two glibc malloc arenas (the default is
 * eight per core, and the SDK's many native threads each keep freed memory in theirs). Measured with 1,000
 * handovers waiting (bench/README.md, bench:waiting): the worker's RSS a third lower, the same throughput.
 */
export const WORKER_NODE_FLAGS = ['--max-semi-space-size=16'];
export const WORKER_ENV = { MALLOC_ARENA_MAX: '2' };
