#!/usr/bin/env bash
# Starts the Temporal dev server for Handover, installing the Temporal CLI first when it is missing.
set -euo pipefail

TEMPORAL_CLI_VERSION=v1.5.1   # Server 1.29.1, Web UI 2.42.1; later tags carry replace directives go install refuses
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE_DIR="${TEMPORAL_STATE_DIR:-$ROOT/.temporal}"
PROJECT_BIN="$STATE_DIR/bin/temporal"
USER_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/handover/temporal-$TEMPORAL_CLI_VERSION"
GRPC_PORT="${TEMPORAL_PORT:-7233}"
UI_PORT="${TEMPORAL_UI_PORT:-8233}"
DB_FILE="${TEMPORAL_DB_FILE:-$STATE_DIR/temporal.db}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
# Keep in step with searchAttributes in workflows/definitions.ts (a unit test checks it).
SEARCH_ATTRIBUTES=(HandoverDatabase=Keyword HandoverContact=Keyword HandoverType=Keyword HandoverUpdateType=Keyword HandoverStatus=Keyword HandoverStep=Keyword)

usage() {
  cat <<USAGE
Usage: ./temporal-dev.sh [--install-only] [--help]

Starts the official Temporal CLI dev server for Handover:
  gRPC on 127.0.0.1:$GRPC_PORT, Web UI on http://localhost:$UI_PORT,
  history persisted to $DB_FILE,
  search attributes registered: ${SEARCH_ATTRIBUTES[*]}.
If a server already answers on port $GRPC_PORT it says so and exits 0.

Where the CLI comes from, in order: 'temporal' on PATH, the project's cached binary
($PROJECT_BIN), this user's cache ($USER_CACHE), then a build from its
official Go module (go install github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION,
about 3 minutes on 2 cores), cached for next time.

  --install-only   make sure the CLI is there, print its path, and exit
  --help           this text

Environment: TEMPORAL_PORT, TEMPORAL_UI_PORT, TEMPORAL_DB_FILE, TEMPORAL_NAMESPACE, TEMPORAL_STATE_DIR.
USAGE
}

find_cli() {
  if command -v temporal >/dev/null 2>&1; then command -v temporal; return; fi
  if [ -x "$PROJECT_BIN" ]; then echo "$PROJECT_BIN"; return; fi
  if [ -x "$USER_CACHE/temporal" ]; then
    mkdir -p "$(dirname "$PROJECT_BIN")" && ln -sf "$USER_CACHE/temporal" "$PROJECT_BIN"
    echo "$PROJECT_BIN"; return
  fi
  if ! command -v go >/dev/null 2>&1; then
    cat >&2 <<MSG
The Temporal CLI is not installed and Go is not available to build it.
Install one of:
  - the Temporal CLI (https://docs.temporal.io/cli), so that 'temporal' is on PATH, or
  - Go 1.24+ (https://go.dev/dl/ or 'apt-get install golang'), then run this script again.
MSG
    exit 1
  fi
  echo "Building the Temporal CLI $TEMPORAL_CLI_VERSION from its Go module (about 3 minutes, once)..." >&2
  mkdir -p "$USER_CACHE"
  GOBIN="$USER_CACHE" GOFLAGS=-mod=mod go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION" >&2
  mkdir -p "$(dirname "$PROJECT_BIN")" && ln -sf "$USER_CACHE/temporal" "$PROJECT_BIN"
  echo "$PROJECT_BIN"
}

server_answers() {
  "$1" operator cluster health --address "127.0.0.1:$GRPC_PORT" >/dev/null 2>&1
}

case "${1:-}" in
  --help|-h) usage; exit 0 ;;
  --install-only) find_cli; exit 0 ;;
  "") ;;
  *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
esac

CLI="$(find_cli)"
if server_answers "$CLI"; then
  echo "A Temporal server already answers on 127.0.0.1:$GRPC_PORT (Web UI: http://localhost:$UI_PORT). Nothing to do."
  exit 0
fi

mkdir -p "$(dirname "$DB_FILE")"
args=(server start-dev --ip 127.0.0.1 --port "$GRPC_PORT" --ui-port "$UI_PORT" --db-filename "$DB_FILE" --namespace "$NAMESPACE" --log-level warn)
for sa in "${SEARCH_ATTRIBUTES[@]}"; do args+=(--search-attribute "$sa"); done
echo "Starting Temporal dev server: gRPC 127.0.0.1:$GRPC_PORT, Web UI http://localhost:$UI_PORT, data $DB_FILE"
exec "$CLI" "${args[@]}"
