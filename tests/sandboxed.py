"""Helpers of tests that run code in the sandbox: run the queue, zip files, describe a code
challenge (the fixtures are code_hub, code_api and code_factories in conftest.py)."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

from aihub.evaluation.sandbox import (
    Runtime,
    RuntimeUnavailable,
    SandboxReport,
    build_runtime,
    probe_sandbox,
)
from aihub.evaluation.worker import Worker
from aihub.hub import Hub

# Runtimes are built once per machine and kept (scripts/test.sh builds the default one).
RUNTIMES_DIR = Path(os.environ.get("AIHUB_RUNTIMES_DIR", "/var/tmp/aihub-runtimes"))


def usable_sandbox(first_uid: int) -> SandboxReport:
    """The machine's sandbox report; skips the test, saying why, where code cannot be
    sandboxed."""
    report = probe_sandbox(first_uid=first_uid)
    if not report.usable:
        pytest.skip("bubblewrap cannot sandbox code here: " + " ".join(report.problems))
    return report


def runtime_or_skip(name: str, packages: list[str] | None = None) -> Runtime:
    """The runtime ``name`` (built on first use: PyPI once); skips, saying why, where it
    cannot be built."""
    try:
        return build_runtime(RUNTIMES_DIR, name, packages=packages)
    except RuntimeUnavailable as exc:
        pytest.skip(f"the runtime {name!r} cannot be built here (no network?): {exc.detail}")


def code_extra(*, fmt: str = "model", limits: dict[str, Any] | None = None,
               show_log: bool | None = True) -> dict[str, Any]:
    """The parts of challenge.yaml (factories.write_binary_bundle's ``extra``) that make
    its binary challenge a code challenge: train.csv seen by both, test.csv by code only.
    ``show_log`` None leaves it to the default (hidden, since test.csv is code-only)."""
    return {
        "code": {
            "format": fmt, **({"show_log": show_log} if show_log is not None else {}),
            "limits": {"time_seconds": 20, "memory_mb": 512, "processes": 32,
                       "disk_mb": 64, "log_kb": 16, **(limits or {})},
        },
        "files": [
            {"path": "train.csv", "audience": "both"},
            {"path": "test.csv", "audience": "sandbox"},
            {"path": "sample_submission.csv"},
        ],
    }


def run_queued(hub: Hub) -> int:
    """Run every queued job in this thread, as an `aihub worker --once` would."""
    worker = Worker(hub.db, hub.evaluator, lease_seconds=60, poll_seconds=0.05)
    count = 0
    while worker.run_once():
        count += 1
    return count


def zipped(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()
