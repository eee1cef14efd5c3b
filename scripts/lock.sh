#!/usr/bin/env bash
# Pin every dependency (and theirs) in requirements/*.txt, which scripts/install.sh installs:
# the same versions on every machine, so CI's byte-for-byte checks (ruff's output, the OpenAPI
# file, the .mo catalogue) do not change under us. Existing pins are kept where pyproject.toml
# still allows them; `bash scripts/lock.sh --upgrade` moves everything to the newest allowed
# versions (then run scripts/test.sh and commit the lock files with what the upgrade changed).
set -euo pipefail
cd "$(dirname "$0")/.."
tools=$(mktemp -d /tmp/kehu-lock-XXXXXX)
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools"
"$tools/bin/pip" install --quiet --disable-pip-version-check "pip-tools>=7.4"
compile() {
  "$tools/bin/pip-compile" --quiet --strip-extras --no-emit-index-url --no-emit-find-links --newline LF \
    --output-file "$1" "${@:2}" pyproject.toml
}
compile requirements/base.txt "$@"
compile requirements/test.txt --extra test "$@"
echo "requirements/base.txt and requirements/test.txt written"
