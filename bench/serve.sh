# Sourced by bench/run.sh and bench/profile.sh, after bench/dataset.sh: the load tools (installed
# when missing), and the portal served by gunicorn on a free port of 127.0.0.1, as in production,
# until the sourcing script exits.
for tool in wrk pgbench redis-benchmark; do
  if ! command -v "$tool" >/dev/null && [ ! -x "/usr/lib/postgresql/$(ls /usr/lib/postgresql | sort -n | tail -n 1)/bin/$tool" ]; then
    if [ "$(id -u)" -eq 0 ]; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk postgresql-contrib redis-tools >/dev/null
    else
      echo "Missing $tool. Run: sudo apt-get install -y wrk postgresql-contrib redis-tools" >&2; exit 1
    fi
  fi
done

port="${BENCH_PORT:-$(free_port_from 8100)}"  # never measure a server left running by someone else
export DATABASE_STATEMENT_TIMEOUT_MS=60000
GUNICORN_BIND="127.0.0.1:$port" GUNICORN_ACCESS_LOG=/dev/null \
  gunicorn unionportal.wsgi:application -c unionportal/gunicorn.conf.py > "$LOCAL_DIR/bench-gunicorn.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/hello" >/dev/null && break; sleep 0.2; done
export BENCH_URL="http://127.0.0.1:$port" BENCH_SERVER_PID=$server
