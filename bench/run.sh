#!/usr/bin/env bash
# `make bench`: a city-sized data set, the portal served as in production, load scenarios.
# Uses its own database (unionportal_bench) beside the portal's; the data set is generated
# once and reused. BENCH_MEMBERS / BENCH_STATIONS scale it down for a quick look.
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
"$PROJECT_ROOT/scripts/prepare.sh"
cd "$PROJECT_ROOT"

for tool in wrk pgbench redis-benchmark; do
  if ! command -v "$tool" >/dev/null && [ ! -x "/usr/lib/postgresql/$(ls /usr/lib/postgresql | sort -n | tail -n 1)/bin/$tool" ]; then
    if [ "$(id -u)" -eq 0 ]; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk postgresql-contrib redis-tools >/dev/null
    else
      echo "Missing $tool. Run: sudo apt-get install -y wrk postgresql-contrib redis-tools" >&2; exit 1
    fi
  fi
done

source "$PROJECT_ROOT/bench/dataset.sh"

port="${BENCH_PORT:-$(free_port_from 8100)}"  # never measure a server left running by someone else
export DATABASE_STATEMENT_TIMEOUT_MS=60000
GUNICORN_BIND="127.0.0.1:$port" GUNICORN_ACCESS_LOG=/dev/null \
  gunicorn unionportal.wsgi:application -c unionportal/gunicorn.conf.py > "$LOCAL_DIR/bench-gunicorn.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/hello" >/dev/null && break; sleep 0.2; done

export BENCH_URL="http://127.0.0.1:$port" BENCH_SERVER_PID=$server
status=0
python -m bench.limits || status=1
python -m bench.sql_timings || status=1
python -m bench.admin_timings || status=1
python -m bench.admin_sweep || status=1
python -m bench.scenarios || status=1
python -m bench.storm || status=1
exit $status
