#!/usr/bin/env bash
# Install what Kehu needs on Debian (as root): system packages, a virtual environment, Kehu itself.
# Idempotent: a second run installs nothing new. `--test` adds what the test suite needs.
set -euo pipefail
cd "$(dirname "$0")/.."

# libpango and the Noto CJK fonts: quote PDFs (WeasyPrint) with Chinese text.
want=(python3 python3-venv python3-pip gettext sqlite3 ca-certificates libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk)
if [ "${1:-}" = "--test" ]; then
  want+=(chromium postgresql-client)
fi
missing=()
for pkg in "${want[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Kehu needs these Debian packages: ${missing[*]} (run as root, or install them first)" >&2
    exit 1
  fi
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${KEHU_PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Kehu needs Python 3.11 or newer")'
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# The pinned versions (requirements/*.txt, made by scripts/lock.sh), then Kehu itself without
# resolving anything again: every machine runs the same versions.
lock=requirements/base.txt
[ "${1:-}" = "--test" ] && lock=requirements/test.txt
stamp=".venv/.kehu-installed-$(basename "$lock" .txt)"
digest=$(cat pyproject.toml "$lock" | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
  log=$(mktemp)
  pip() { .venv/bin/python -m pip --disable-pip-version-check --quiet "$@" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }; }
  pip install --upgrade pip
  pip install -r "$lock"
  pip install --no-deps -e .
  .venv/bin/python -m pip check >"$log" 2>&1 || {
    cat "$log" >&2
    echo "requirements/*.txt miss what pyproject.toml asks for: run 'bash scripts/lock.sh'" >&2
    exit 1
  }
  rm -f "$log"
  .venv/bin/python -c "import kehu"
  echo "$digest" > "$stamp"
fi
