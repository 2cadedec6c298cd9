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

# Production-like settings with keys of their own, made once.
keys="$LOCAL_DIR/bench-keys.env"
if [ ! -f "$keys" ]; then
  python - > "$keys" <<'PY'
import secrets
from cryptography.fernet import Fernet
print(f"export DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}")
print(f"export PII_ENCRYPTION_KEYS={Fernet.generate_key().decode()}")
print(f"export PII_HASH_KEY={secrets.token_urlsafe(32)}")
PY
fi
source "$keys"
export DJANGO_DEBUG=0 DJANGO_SECURE_SSL_REDIRECT=0 THROTTLE_USER=100000/min THROTTLE_API_KEY=100000/min \
  THROTTLE_ANON=100000/min \
  THROTTLE_TOKEN=100000/min CACHE_KEY_PREFIX=bench

bench_db="${BENCH_DATABASE_NAME:-unionportal_bench}"
base_url="${DATABASE_URL%/*}"
python - "$bench_db" <<'PY'
import os, sys, psycopg
url = os.environ["DATABASE_URL"].replace("postgis://", "postgresql://")
with psycopg.connect(url, autocommit=True) as connection:
    if not connection.execute("select 1 from pg_database where datname = %s", [sys.argv[1]]).fetchone():
        connection.execute(f'create database "{sys.argv[1]}"')
PY
export DATABASE_URL="$base_url/$bench_db"
export DATABASE_STATEMENT_TIMEOUT_MS=0  # loading millions of rows; the served portal sets its own below
python manage.py migrate --noinput -v 0
python manage.py seed_demo >/dev/null
python -m bench.generate --members "${BENCH_MEMBERS:-2000000}" --stations "${BENCH_STATIONS:-100000}"

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
python -m bench.scenarios || status=1
python -m bench.storm || status=1
exit $status
