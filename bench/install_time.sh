#!/usr/bin/env bash
# Time from the README's run command on a fresh clone (new virtual environment, empty pip cache)
# to a usable login page, and the install size. Usage: bash bench/install_time.sh [PORT]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
port=${1:-8765}
work=$(mktemp -d /tmp/kehu-install-XXXXXX)
git clone -q "$repo" "$work/kehu"
cd "$work/kehu"
export PIP_CACHE_DIR="$work/pip-cache" KEHU_PORT=$port KEHU_DATA_DIR="$work/var"
start=$(date +%s.%N)
bash scripts/start.sh > "$work/start.log" 2>&1 &
pid=$!
until curl -fs -o /dev/null "http://127.0.0.1:$port/login/"; do
  sleep 0.5
  kill -0 $pid 2>/dev/null || { echo "start.sh died:"; tail -20 "$work/start.log"; exit 1; }
done
end=$(date +%s.%N)
echo "seconds to login page: $(echo "$end - $start" | bc)"
echo "virtual environment: $(du -sh .venv | cut -f1)  (site-packages: $(du -sh .venv/lib/python3*/site-packages | cut -f1))"
echo "data directory after demo: $(du -sh "$KEHU_DATA_DIR" | cut -f1)"
kill -TERM -- $pid 2>/dev/null || true
pkill -f "$work/kehu/.venv" 2>/dev/null || true
sleep 2
rm -rf "$work"
