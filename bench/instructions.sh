#!/usr/bin/env bash
# `make bench-instructions`: instructions per answer, counted by valgrind on the bench's data set
# (bench/instructions.py). Slow (each scenario runs twice under valgrind), but it does not drift.
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
"$PROJECT_ROOT/scripts/prepare.sh"
cd "$PROJECT_ROOT"

if ! command -v valgrind >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
  else
    echo "Missing valgrind. Run: sudo apt-get install -y valgrind" >&2; exit 1
  fi
fi

source "$PROJECT_ROOT/bench/dataset.sh"
export DATABASE_STATEMENT_TIMEOUT_MS=60000
python -m bench.instructions "$@"
