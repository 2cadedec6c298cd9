#!/usr/bin/env bash
# `make bench-export`: how long a member export takes a worker at city scale
# (bench/export_timing.py), on the bench's data set.
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
"$PROJECT_ROOT/scripts/prepare.sh"
cd "$PROJECT_ROOT"
source "$PROJECT_ROOT/bench/dataset.sh"
export PRIVATE_MEDIA_ROOT="$LOCAL_DIR/bench-private-media"
python -m bench.export_timing "$@"
