#!/usr/bin/env bash
# `make bench-bulk`: how long a bulk member action takes a worker at a district's scale
# (bench/bulk_timing.py), on the bench's data set.
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
"$PROJECT_ROOT/scripts/prepare.sh"
cd "$PROJECT_ROOT"
source "$PROJECT_ROOT/bench/dataset.sh"
# The members' notifications go to a queue of their own, emptied afterwards: nobody is texted.
export CELERY_TASK_DEFAULT_QUEUE=bench-bulk
python -m bench.bulk_timing "$@"
