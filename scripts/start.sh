#!/usr/bin/env bash
# Install Kehu, load demo data and start it at http://127.0.0.1:8000 (web server + background worker).
# Everything is stored in ./var (SQLite); no other service is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export KEHU_DATA_DIR=${KEHU_DATA_DIR:-$PWD/var}
.venv/bin/kehu demo --customers "${KEHU_DEMO_CUSTOMERS:-20000}"
echo
echo "Open http://${KEHU_HOST:-127.0.0.1}:${KEHU_PORT:-8000}/ and log in as admin / kehu-demo"
exec .venv/bin/kehu run
