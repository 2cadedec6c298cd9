# Sourced by bench/run.sh and bench/instructions.sh: production-like settings, the bench's own
# database (unionportal_bench) beside the portal's, and its city-sized data set, made once and
# reused. Expects scripts/env.sh sourced and the project prepared.

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
