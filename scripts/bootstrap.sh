#!/usr/bin/env bash
# Installs what the portal needs on a Debian/Ubuntu machine: system packages (through
# apt when run as root, otherwise it prints the line to run), then the virtualenv.
# Safe to run again: it only does what is missing.
set -euo pipefail
source "$(dirname "$0")/env.sh"

pg_major() { ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1; }

missing=()
command -v python3 >/dev/null || missing+=(python3)
python3 -c "import venv, ensurepip" 2>/dev/null || missing+=(python3-venv)
command -v msgfmt >/dev/null || missing+=(gettext)
command -v redis-server >/dev/null || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# Chinese glyphs for the browser tests' screenshots.
[ -d /usr/share/fonts/opentype/noto ] || missing+=(fonts-noto-cjk)
# No `grep -q` after a pipe: under pipefail its early exit would read as "missing".
ldconfig -p | grep "libgdal.so" >/dev/null || missing+=(gdal-bin)
ldconfig -p | grep "libgeos_c.so" >/dev/null || missing+=(libgeos-c1v5)
ldconfig -p | grep "libproj.so" >/dev/null || missing+=(proj-bin)
if [ -z "$(pg_major)" ]; then
  missing+=(postgresql postgresql-contrib)
elif [ ! -f "/usr/share/postgresql/$(pg_major)/extension/postgis.control" ]; then
  missing+=("postgresql-$(pg_major)-postgis-3")
fi

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "Installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
    # PostGIS goes with the server version, known only once the server is installed.
    if [ ! -f "/usr/share/postgresql/$(pg_major)/extension/postgis.control" ]; then
      apt-get install -y -qq "postgresql-$(pg_major)-postgis-3" >/dev/null
    fi
  else
    echo "Missing system packages. Run this once, then try again:" >&2
    echo "  sudo apt-get install -y ${missing[*]} postgresql-postgis" >&2
    exit 1
  fi
fi

# The virtualenv, reinstalled only when requirements.txt changes.
stamp="$VENV/.requirements.sha256"
want="$(sha256sum "$PROJECT_ROOT/requirements.txt" | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "Installing Python packages into .venv"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$PROJECT_ROOT/requirements.txt"
  echo "$want" > "$stamp"
fi
