"""The tests that use the machine's sandbox, kept on one pytest-xdist worker.

scripts/test.sh runs the suite on two workers. Tests that run code in the sandbox share its
slot uids (a box kills every process of its uid), its work folders and its runtimes, and a
demo hub runs code as the default uids too: two such tests at once would kill each other's
programs. They all go to one worker while the rest spread over both.

xdist's own ``--dist loadgroup`` reads ``xdist_group`` marks through a node-id suffix that
pytest 9 no longer lets it set, so the grouping is ours: by path, which the controller can
see (it never collects), checked on each worker against the fixtures a test really uses.
"""

from __future__ import annotations

from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

MACHINE_FIXTURES = frozenset({
    "sandbox", "report", "bare", "bare_runtime", "default_runtime", "sandbox_runtimes",
    "sandbox_report", "code_hub", "code_api", "code_factories", "reduced_hub", "make_hub",
})
MACHINE_PATHS = (
    "tests/evaluation/sandbox/", "tests/evaluation/code/", "tests/evaluation/executors/",
    "tests/interop/test_codabench", "tests/demo/", "tests/cli/test_demo", "tests/browser/",
    "tests/web/test_code_pages.py", "tests/web/test_codabench_pages.py",
)
GROUP = "machine"


def is_machine_bound(nodeid: str) -> bool:
    return nodeid.startswith(MACHINE_PATHS)


class MachineGroupScheduling(LoadScopeScheduling):  # type: ignore[misc]
    """Each test its own unit of work, except the machine-bound ones: one unit for all."""

    def _split_scope(self, nodeid: str) -> str:
        return GROUP if is_machine_bound(nodeid) else nodeid


class MachineGroupPlugin:
    """Registered by conftest.py where xdist is installed (its hook is unknown otherwise)."""

    @pytest.hookimpl(tryfirst=True)  # before xdist's own choice of scheduler
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        if config.getoption("dist") not in ("load", "loadscope", "loadgroup"):
            return None  # each, worksteal, loadfile: what was asked for
        return MachineGroupScheduling(config, log)


def check_grouped(items: list[pytest.Item]) -> None:
    """Refuse a run where a test uses the sandbox from a file the group does not name:
    run on the other worker, it would break tests at random rather than here."""
    strays = sorted({
        item.nodeid.split("::")[0] for item in items
        if set(getattr(item, "fixturenames", ())) & MACHINE_FIXTURES
        and not is_machine_bound(item.nodeid)
    })
    if strays:
        raise pytest.UsageError(
            "These test files use the machine's sandbox but are not in MACHINE_PATHS "
            f"(tests/machine_group.py), so two workers could run them at once: {strays}"
        )
