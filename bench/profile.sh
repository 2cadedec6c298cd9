#!/usr/bin/env bash
# `make bench-profile`: where a served answer's time goes, sampled by py-spy while wrk loads each
# ratio scenario on the bench's data set (bench/served_profile.py).
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
"$PROJECT_ROOT/scripts/prepare.sh"
cd "$PROJECT_ROOT"
source "$PROJECT_ROOT/bench/dataset.sh"
source "$PROJECT_ROOT/bench/serve.sh"
python -m bench.served_profile "$@"
