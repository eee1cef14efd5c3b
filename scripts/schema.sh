#!/usr/bin/env bash
# Regenerate the committed OpenAPI schema (CI fails when it is stale).
set -euo pipefail
cd "$(dirname "$0")/.."
KEHU_DATA_DIR=${KEHU_DATA_DIR:-$(mktemp -d)} .venv/bin/python manage.py spectacular --lang en --file docs/openapi.yaml --validate --fail-on-warn
