.PHONY: lint format test messages schema
lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .
format:
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .
test:
	bash scripts/test.sh
messages:
	bash scripts/messages.sh
schema:
	bash scripts/schema.sh
