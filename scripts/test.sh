#!/usr/bin/env bash
# Install what the tests need into .venv and run the whole suite: lint, types, tests.
# PostgreSQL tests run when 127.0.0.1:5432 answers or AIHUB_TEST_DATABASE_URL is set.
source "$(dirname "$0")/_venv.sh" "[test]"
echo "== ruff"; .venv/bin/ruff check src tests bench
echo "== mypy --strict"; .venv/bin/mypy
echo "== pytest"; exec .venv/bin/pytest -p no:cacheprovider "$@"
