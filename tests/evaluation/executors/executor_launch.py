"""Runs one kind of worker (or the hub's server) in its own process, for the SIGKILL and
SIGTERM tests.

    python executor_launch.py local [--once] [QUEUES]
    python executor_launch.py celery QUEUES SWEEP_SECONDS
    python executor_launch.py remote URL TOKEN CACHE_DIR
    python executor_launch.py serve PORT

Settings come from the environment (AIHUB_DATA_DIR, AIHUB_DATABASE_URL,
AIHUB_CELERY_BROKER_URL, …) as for ``aihub``; code tasks run through ``ScriptedRunner`` in
the mode AIHUB_TEST_RUNNER names, writing markers in AIHUB_TEST_MARKERS. The workers are
the CLI's own (``worker_verbs``).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import uvicorn
from executor_helpers import ScriptedRunner, app_with_runner_api

from aihub.cli import worker_verbs
from aihub.evaluation.plans import TaskKind
from aihub.hub import Hub
from aihub.settings import Settings


def _runner() -> ScriptedRunner:
    return ScriptedRunner(os.environ["AIHUB_TEST_RUNNER"],
                          Path(os.environ["AIHUB_TEST_MARKERS"]))


def _hub() -> Hub:
    hub = worker_verbs.worker_hub(None)
    hub.evaluator.kit.runners[TaskKind.CODE] = _runner()
    return hub


def _serve(port: int) -> None:
    hub = Hub(Settings(), start_workers=False)
    uvicorn.run(app_with_runner_api(hub), host="127.0.0.1", port=port, log_level="warning")


def main(mode: str, *args: str) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if mode == "local":
        once = "--once" in args
        queues = [arg for arg in args if arg != "--once"]
        worker_verbs.run_local(_hub(), tuple(queues[0].split(",")) if queues else ("default",),
                               once=once)
    elif mode == "celery":
        queues, sweep = args
        worker_verbs.run_celery(_hub(), tuple(queues.split(",")), sweep_seconds=float(sweep))
    elif mode == "remote":
        url, token, cache = args
        worker_verbs.run_remote(url, token, (), cache_dir=Path(cache), settings=Settings(),
                                runners={TaskKind.CODE: _runner()}, wait_seconds=1.0)
    elif mode == "serve":
        _serve(int(args[0]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(*sys.argv[1:])
