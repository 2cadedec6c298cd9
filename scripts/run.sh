#!/usr/bin/env bash
# Serves the portal with demo data: web server, Celery worker and beat.
# Ctrl-C stops everything this script started.
set -euo pipefail
source "$(dirname "$0")/env.sh"
# Services that were already running (say, from `make test`) are left running on exit.
postgres_was_running=0; redis_was_running=0
port_is_busy "$LOCAL_PG_PORT" && postgres_was_running=1
port_is_busy "$LOCAL_REDIS_PORT" && redis_was_running=1
"$PROJECT_ROOT/scripts/prepare.sh"
cd "$PROJECT_ROOT"
DATABASE_STATEMENT_TIMEOUT_MS=0 python manage.py seed_demo

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo "Stopping…"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ "$postgres_was_running" = 1 ] || "$PROJECT_ROOT/scripts/services.sh" stop postgres
  [ "$redis_was_running" = 1 ] || "$PROJECT_ROOT/scripts/services.sh" stop redis
}
trap cleanup INT TERM EXIT

mkdir -p "$LOCAL_DIR/celery"
celery -A unionportal worker --loglevel=INFO --concurrency=2 & pids+=($!)
celery -A unionportal beat --loglevel=INFO --schedule="$LOCAL_DIR/celery/beat-schedule" & pids+=($!)
gunicorn unionportal.wsgi:application --config unionportal/gunicorn.conf.py & pids+=($!)
echo "unionportal is running on http://127.0.0.1:${PORT:-8000}/ (Ctrl-C stops it)"
wait -n
