#!/usr/bin/env bash
# Install aihub into .venv and start the demo hub (arguments go to 'aihub demo').
source "$(dirname "$0")/_venv.sh" ""
source scripts/_sandbox.sh
exec .venv/bin/aihub demo "$@"
