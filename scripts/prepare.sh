#!/usr/bin/env bash
# Everything before serving or testing: packages, services, schema, translations, static.
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$PROJECT_ROOT/scripts/bootstrap.sh"
"$PROJECT_ROOT/scripts/services.sh" start
cd "$PROJECT_ROOT"
python manage.py compilemessages --ignore=.venv -v 0
DATABASE_STATEMENT_TIMEOUT_MS=0 python manage.py migrate --noinput -v 0
python manage.py collectstatic --noinput -v 0
