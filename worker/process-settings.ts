/**
 * How a worker process is started (npm start, npm run worker, worker:built, the benchmarks):
 * - a young generation of 8 MB a space (V8's default grows it to tens of MB per space under load);
 * - a heap grown by 20 % past what is live at each full GC (V8's default lets it grow up to 4x while
 *   the worker is busy, and a worker that polls is never idle long enough for V8 to give it back; the
 *   flag is process-wide, so the workflow thread's heap is held to it too);
 * - two glibc malloc arenas (the default is eight per core, and the SDK's many native threads each keep
 *   freed memory in theirs).
 * Measured with 1,000 handovers waiting (bench/README.md, bench:waiting): the worker's RSS about half of
 * what it is without them, at the same throughput (bench:throughput).
 */
export const WORKER_NODE_FLAGS = ['--max-semi-space-size=8', '--heap-growing-percent=20'];
export const WORKER_ENV = { MALLOC_ARENA_MAX: '2' };
