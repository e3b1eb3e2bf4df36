#!/usr/bin/env bash
# Install what the tests need into .venv and run the whole suite: lint, types, tests.
# PostgreSQL tests run when 127.0.0.1:5432 answers or AIHUB_TEST_DATABASE_URL is set.
source "$(dirname "$0")/_venv.sh" "[test]"
source scripts/_sandbox.sh
# The browser tests (tests/browser) drive Debian's Chromium, never a downloaded one, and need
# CJK fonts to draw Korean. When it cannot be installed they skip and say why.
if [ ! -x /usr/bin/chromium ]; then
  echo "== apt-get install chromium fonts-noto-cjk (for tests/browser)"
  if [ "$(id -u)" = 0 ]; then as_root=(); else as_root=(sudo -n); fi
  if ! { command -v apt-get >/dev/null && "${as_root[@]}" apt-get update -qq &&
         "${as_root[@]}" apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }; then
    echo "Could not install Chromium: the browser tests will be skipped." >&2
  fi
fi
echo "== ruff"; .venv/bin/ruff check src tests bench
echo "== mypy --strict"; .venv/bin/mypy
# Two workers (CI has two cores); tests that share the machine's sandbox stay on one of them
# (tests/machine_group.py).
echo "== pytest"; exec .venv/bin/pytest -p no:cacheprovider -n 2 "$@"
