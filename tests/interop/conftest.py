"""Fixtures for running bundles in the real sandbox: bubblewrap, a runtime without
packages (our test programs use the standard library only), job folders every slot uid can
enter. Skipped, with the reason, where the sandbox cannot run."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from codabench_helpers import LIMITS

from aihub.evaluation.sandbox import (
    BubblewrapSandbox,
    Runtime,
    SandboxReport,
    SlotPool,
    make_job_folder,
)
from sandboxed import runtime_or_skip, usable_sandbox

# Our own uids, apart from the sandbox tests' (61000...): both suites may run at once, and a
# box's end kills every process of its uid.
FIRST_UID = int(os.environ.get("AIHUB_TEST_CODABENCH_FIRST_UID", "61900"))


@pytest.fixture(scope="session")
def sandbox_report() -> SandboxReport:
    return usable_sandbox(FIRST_UID)


@pytest.fixture(scope="session")
def bare_runtime() -> Runtime:
    return runtime_or_skip("bare", packages=[])


@pytest.fixture(scope="session")
def work_root() -> Iterator[Path]:
    root = make_job_folder(prefix="codabench-tests-")
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def bubblewrap(sandbox_report: SandboxReport, work_root: Path) -> BubblewrapSandbox:
    # Two slots: ingestion runs beside the scorer, or beside a self-running submission.
    return BubblewrapSandbox(
        slots=SlotPool(FIRST_UID, 2, per_slot_uids=sandbox_report.per_slot_uids),
        work_dir=work_root / "boxes", limits=LIMITS, cgroups=sandbox_report.cgroups,
        host_tmpfs=sandbox_report.host_tmpfs,
    )


@pytest.fixture
def job(work_root: Path) -> Path:
    """A fresh folder for one test's host files, reachable by the slot uids."""
    return make_job_folder(work_root, prefix="job-")
