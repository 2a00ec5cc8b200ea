/**
 * The order Jest starts test files in, when they run in parallel: the longest first, so that no long file starts
 * last and runs alone at the end. Jest knows each file's time from earlier runs on this machine (its cache); a fresh
 * clone has none, so the files known to take minutes (the fault suite's) are put first, and the rest follow in Jest's
 * own order (the cached times, or file size).
 */
const Sequencer = require('@jest/test-sequencer').default;

const LONG = /\/tests\/faults\/(concurrency|mariadb-restart-(staging|source|handover)|temporal-restart|scale-out)\.test\.ts$/;

class LongestFirst extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    return [...sorted.filter((t) => LONG.test(t.path)), ...sorted.filter((t) => !LONG.test(t.path))];
  }
}

module.exports = LongestFirst;
