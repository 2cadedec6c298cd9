#!/usr/bin/env bash
# The whole test suite against the real PostGIS database and Redis.
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$PROJECT_ROOT/scripts/prepare.sh"
cd "$PROJECT_ROOT"
python manage.py check --fail-level WARNING
python manage.py makemigrations --check --dry-run
python manage.py spectacular --validate --fail-on-warn --file /dev/null
# Fault tests restart the project's own PostgreSQL: only in this full run.
UNIONPORTAL_FAULT_TESTS=1 python -m pytest "$@"
