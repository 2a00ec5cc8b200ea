#!/usr/bin/env bash
# Temporal's time-skipping test server (the one @temporalio/testing's createTimeSkipping runs), from its Maven
# artifact io.temporal:temporal-test-server, run on the JVM. (@temporalio/testing would download a native build
# of it from temporal.download, which this machine cannot reach; the Maven artifact is the same server.)
#
#   server.sh --install-only   fetch it (cached in ~/.m2 and .temporal/test-server), print the classpath file, exit
#   server.sh PORT [ARGS...]   run it on PORT (what createTimeSkipping's `existing-path` executable is given)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
STATE_DIR="${TEMPORAL_STATE_DIR:-$ROOT/.temporal}/test-server"
CLASSPATH_FILE="$STATE_DIR/classpath-$(sha1sum "$HERE/pom.xml" | cut -c1-12).txt"

install() {
  [ -s "$CLASSPATH_FILE" ] && return
  command -v mvn >/dev/null 2>&1 || { echo "Maven is not installed: apt-get install maven (.ci/run does)" >&2; exit 1; }
  command -v java >/dev/null 2>&1 || { echo "Java is not installed: apt-get install default-jre-headless (.ci/run does)" >&2; exit 1; }
  mkdir -p "$STATE_DIR"
  mvn -q -B -Dstyle.color=never -f "$HERE/pom.xml" dependency:build-classpath -Dmdep.outputFile="$CLASSPATH_FILE.tmp" >&2
  mv "$CLASSPATH_FILE.tmp" "$CLASSPATH_FILE"
}

if [ "${1:-}" = "--install-only" ]; then
  install
  echo "$CLASSPATH_FILE"
  exit 0
fi
install
exec java -Xss512k -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$(cat "$CLASSPATH_FILE")" io.temporal.testserver.TestServer "$@"
