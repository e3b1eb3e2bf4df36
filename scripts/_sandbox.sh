# Shared by demo.sh and test.sh: what code challenges need on this machine.
# bubblewrap from apt when absent, and the default runtime (a Python environment with
# numpy, pandas, scipy, scikit-learn and matplotlib, from PyPI) built once and cached.
# Neither is fatal: without them code challenges fail with the reason and their tests skip.
export AIHUB_RUNTIMES_DIR="${AIHUB_RUNTIMES_DIR:-/var/tmp/aihub-runtimes}"
if ! command -v bwrap >/dev/null 2>&1; then
  echo "== apt-get install bubblewrap (the sandbox of code challenges)"
  if [ "$(id -u)" = 0 ]; then as_root=(); else as_root=(sudo -n); fi
  if ! { command -v apt-get >/dev/null && "${as_root[@]}" apt-get update -qq &&
         "${as_root[@]}" apt-get install -y -qq bubblewrap >/dev/null; }; then
    echo "Could not install bubblewrap: code challenges cannot run here." >&2
  fi
fi
if ! .venv/bin/aihub runtimes build default >/dev/null; then
  echo "Could not build the default runtime in $AIHUB_RUNTIMES_DIR: code challenges" \
       "cannot run here until 'aihub runtimes build' succeeds." >&2
fi
