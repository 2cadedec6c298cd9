#!/usr/bin/env bash
# `make bench`: a city-sized data set, the portal served as in production, load scenarios.
# Uses its own database (unionportal_bench) beside the portal's; the data set is generated
# once and reused. BENCH_MEMBERS / BENCH_STATIONS scale it down for a quick look.
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
"$PROJECT_ROOT/scripts/prepare.sh"
cd "$PROJECT_ROOT"

source "$PROJECT_ROOT/bench/dataset.sh"

source "$PROJECT_ROOT/bench/serve.sh"
status=0
python -m bench.limits || status=1
python -m bench.sql_timings || status=1
python -m bench.admin_timings || status=1
python -m bench.admin_sweep || status=1
python -m bench.api_sweep || status=1
python -m bench.page_sweep || status=1
python -m bench.scenarios || status=1
python -m bench.storm || status=1
exit $status
