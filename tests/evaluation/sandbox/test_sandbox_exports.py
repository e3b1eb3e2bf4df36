"""The sandbox's public surface is pinned: a change to it is a decision, not an accident."""

from __future__ import annotations

from aihub.evaluation import sandbox

PUBLIC = {
    "DEFAULT_FIRST_UID", "DEFAULT_JOB_BASE", "DEFAULT_PACKAGES", "DEFAULT_RUNTIME", "MIB",
    "Box", "BubblewrapBox", "BubblewrapRun", "BubblewrapSandbox", "CgroupSupport",
    "Isolation", "Limits", "Mount", "Outcome", "RunHandle", "RunResult", "Runtime",
    "RuntimeUnavailable", "Sandbox", "SandboxError", "SandboxMode", "SandboxReport",
    "SandboxUnavailable",
    "SharedArea", "Slot", "SlotPool", "UnreachablePath", "UnsafeOutput", "WritableArea",
    "build_runtime", "check_reachable", "check_world_reachable", "copy_outputs",
    "create_sandbox", "discover_runtimes", "get_runtime", "make_job_folder", "probe_sandbox",
    "read_outputs",
}


def test_public_surface() -> None:
    assert set(sandbox.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(sandbox, name) is not None


def test_errors_and_isolation() -> None:
    # That the bubblewrap classes fit the Sandbox, Box and RunHandle protocols is checked
    # by mypy (bubblewrap.py, _fits_the_seam).
    assert [i.value for i in sandbox.Isolation] == ["full", "reduced"]
    assert issubclass(sandbox.SandboxUnavailable, sandbox.SandboxError)
    assert sandbox.SandboxUnavailable.status_code == 422
