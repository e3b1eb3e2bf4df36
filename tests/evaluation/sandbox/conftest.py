"""Fixtures for the sandbox's tests: the real bubblewrap, real runtimes, small limits.

Runtimes are built once into a cached folder (AIHUB_RUNTIMES_DIR, default
/var/tmp/aihub-runtimes); job files live under /var/tmp, which every slot uid can enter
(pytest's tmp_path cannot be: it sits below a 0700 folder).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox_helpers import SMALL

from aihub.evaluation.sandbox import (
    DEFAULT_JOB_BASE,
    BubblewrapSandbox,
    Runtime,
    SandboxReport,
    SlotPool,
    build_runtime,
    make_job_folder,
)
from sandboxed import RUNTIMES_DIR, runtime_or_skip, usable_sandbox

FIRST_UID = int(os.environ.get("AIHUB_TEST_SANDBOX_FIRST_UID", "61000"))


@pytest.fixture(scope="session")
def report() -> SandboxReport:
    return usable_sandbox(FIRST_UID)


@pytest.fixture(scope="session")
def runtimes_dir() -> Path:
    return RUNTIMES_DIR


@pytest.fixture(scope="session")
def bare(runtimes_dir: Path) -> Runtime:
    """A runtime without packages: a venv of Debian's Python, quick to build."""
    return build_runtime(runtimes_dir, "bare", packages=[])


@pytest.fixture(scope="session")
def default_runtime(runtimes_dir: Path) -> Runtime:
    """The default stack (numpy, pandas, scipy, scikit-learn, matplotlib), built once."""
    return runtime_or_skip("default")


@pytest.fixture(scope="session")
def work_root() -> Iterator[Path]:
    root = make_job_folder(prefix="tests-")
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session", params=["full", "reduced"])
def sandbox(request: pytest.FixtureRequest, report: SandboxReport,
            work_root: Path) -> Iterator[BubblewrapSandbox]:
    """Each test of a sandbox fixture runs twice: in the full sandbox, and in the reduced
    one (bubblewrap as root without a user namespace) that a curator may allow where user
    namespaces are missing: every escape must fail in both."""
    privileged = request.param == "reduced"
    if privileged and not report.privileged:
        pytest.skip("the reduced sandbox needs a root worker whose bubblewrap can make "
                    "namespaces: " + " ".join(report.problems))
    sandbox = BubblewrapSandbox(
        # Locks shared by every test session on the machine: they use the same uids.
        slots=SlotPool(FIRST_UID + (2 if privileged else 0), 2,
                       per_slot_uids=report.per_slot_uids, lock_dir=DEFAULT_JOB_BASE),
        work_dir=work_root / request.param, limits=SMALL, cgroups=report.cgroups,
        host_tmpfs=report.host_tmpfs, privileged=privileged,
    )
    yield sandbox
    sandbox.close()


@pytest.fixture
def job(work_root: Path) -> Path:
    """A fresh folder for one test's host files, reachable by the slot uids."""
    return make_job_folder(work_root, prefix="job-")


@pytest.fixture
def per_slot(report: SandboxReport) -> None:
    if not report.per_slot_uids:
        pytest.skip("per-slot uids need the tests to run as root")
