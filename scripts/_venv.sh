# Shared by demo.sh and test.sh: make .venv with a Python 3.11+ and install aihub into it.
# Usage: source scripts/_venv.sh EXTRAS   (EXTRAS: "" or "[test]")
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

find_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

PYTHON=$(find_python) || { echo "aihub needs Python 3.11 or newer (apt-get install python3)." >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -m venv .venv >/dev/null 2>&1; then
    # Debian and Ubuntu ship venv as a separate package.
    rm -rf .venv
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
    elif command -v sudo >/dev/null 2>&1; then
      sudo apt-get update -qq && sudo apt-get install -y -qq python3-venv >/dev/null
    else
      echo "Install python3-venv (apt-get install python3-venv) and run again." >&2; exit 1
    fi
    "$PYTHON" -m venv .venv
  fi
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e ".${1:-}"
