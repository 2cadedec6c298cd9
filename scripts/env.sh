# Sourced by the other scripts: where the portal's data and services live.
# DATABASE_URL / REDIS_URL from the environment win; otherwise the project-local
# PostgreSQL and Redis under .local/ are used.
PROJECT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL_DIR="$PROJECT_ROOT/.local"
VENV="$PROJECT_ROOT/.venv"

port_is_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port_from() {
  local port=$1
  while port_is_busy "$port"; do port=$((port + 1)); done
  echo "$port"
}

# The local services' ports are chosen once per checkout (the first free ones from 55432 and
# 56379, so that two checkouts on one machine do not collide) and kept in .local/ports.env.
# Two checkouts that chose while neither ran hold the same ports: whichever starts second finds
# its port taken by a server that is not its own, and chooses again before starting.
own_server_runs() {  # its pid file names a live process
  local pid
  pid="$(head -n 1 "$1" 2>/dev/null || true)"
  [ -n "$pid" ] && [ -d "/proc/$pid" ]
}
if [ -f "$LOCAL_DIR/ports.env" ]; then
  source "$LOCAL_DIR/ports.env"
  chosen_again=0
  if port_is_busy "$LOCAL_PG_PORT" && ! own_server_runs "$LOCAL_DIR/pg/data/postmaster.pid"; then
    LOCAL_PG_PORT="$(free_port_from 55432)"; chosen_again=1
  fi
  if port_is_busy "$LOCAL_REDIS_PORT" && ! own_server_runs "$LOCAL_DIR/redis/redis.pid"; then
    LOCAL_REDIS_PORT="$(free_port_from 56379)"; chosen_again=1
  fi
  [ "$chosen_again" = 0 ] || printf 'LOCAL_PG_PORT=%s\nLOCAL_REDIS_PORT=%s\n' "$LOCAL_PG_PORT" "$LOCAL_REDIS_PORT" \
    > "$LOCAL_DIR/ports.env"
else
  mkdir -p "$LOCAL_DIR"
  LOCAL_PG_PORT="${LOCAL_PG_PORT:-$(free_port_from 55432)}"
  LOCAL_REDIS_PORT="${LOCAL_REDIS_PORT:-$(free_port_from 56379)}"
  printf 'LOCAL_PG_PORT=%s\nLOCAL_REDIS_PORT=%s\n' "$LOCAL_PG_PORT" "$LOCAL_REDIS_PORT" > "$LOCAL_DIR/ports.env"
fi

# The local PostgreSQL's socket directory (services.sh). The portal connects through the socket:
# a query's round trip then costs both sides about a third less CPU than through TCP on
# 127.0.0.1. A socket's path is limited to 107 bytes: a checkout too deep for it uses TCP.
LOCAL_PG_SOCKET_DIR="$LOCAL_DIR/pg/run"
local_pg_host() {
  local LC_ALL=C socket="$LOCAL_PG_SOCKET_DIR/.s.PGSQL.$LOCAL_PG_PORT"
  if [ "${#socket}" -gt 107 ]; then printf 127.0.0.1; return; fi
  url_encoded "$LOCAL_PG_SOCKET_DIR"
}
url_encoded() {  # a URL's host may name a directory, its slashes (and any other byte) escaped
  local LC_ALL=C text="$1" i char
  for ((i = 0; i < ${#text}; i++)); do
    char="${text:i:1}"
    case "$char" in
      [A-Za-z0-9._~-]) printf '%s' "$char" ;;
      *) printf '%%%02X' "'$char" ;;
    esac
  done
}

# Decided once, by the first script: the ones it calls inherit the decision.
if [ -z "${USE_LOCAL_PG:-}" ]; then
  if [ -z "${DATABASE_URL:-}" ]; then
    export USE_LOCAL_PG=1 DATABASE_URL="postgis://unionportal@$(local_pg_host):${LOCAL_PG_PORT}/unionportal"
  else
    export USE_LOCAL_PG=0
  fi
fi
if [ -z "${USE_LOCAL_REDIS:-}" ]; then
  if [ -z "${REDIS_URL:-}" ]; then
    export USE_LOCAL_REDIS=1 REDIS_URL="redis://127.0.0.1:${LOCAL_REDIS_PORT}/0"
  else
    export USE_LOCAL_REDIS=0
  fi
fi
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-unionportal.settings}"
export PATH="$VENV/bin:$PATH"
