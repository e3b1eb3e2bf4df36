"""The probe, the refusal where bubblewrap cannot run, and the path checks that fail
before a run with a message naming the folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aihub.evaluation.sandbox import (
    BubblewrapSandbox,
    CgroupSupport,
    Isolation,
    Mount,
    Runtime,
    SandboxError,
    SandboxReport,
    SandboxUnavailable,
    UnreachablePath,
    check_reachable,
    create_sandbox,
    make_job_folder,
    probe_sandbox,
)
from aihub.evaluation.sandbox.paths import check_target
from aihub.evaluation.sandbox.probe import _problems


def test_probe_reports_each_part(report: SandboxReport) -> None:
    assert report.usable and report.namespaces
    assert report.bwrap is not None and report.bwrap_version
    assert report.per_slot_uids is (os.geteuid() == 0)
    text = "\n".join(report.lines())
    assert "usable for code challenges: yes" in text
    assert report.cgroups.describe() in text
    report.require()  # does not raise


def test_missing_bubblewrap_refuses_code_challenges(tmp_path: Path) -> None:
    report = probe_sandbox(bwrap="no-such-bwrap", work_dir=Path("/var/tmp/aihub-sandbox"))
    assert not report.usable and report.bwrap is None
    assert "usable for code challenges: no" in report.lines()
    with pytest.raises(SandboxUnavailable, match="Code challenges cannot run on this worker: "
                       "bubblewrap cannot make its namespaces here"):
        report.require()
    with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap"):
        create_sandbox(work_dir=tmp_path, report=report)


def test_weaker_parts_are_said_in_a_sentence() -> None:
    report = SandboxReport(
        bwrap="/usr/bin/bwrap", bwrap_version="0.8.0", namespaces=True, bwrap_error="",
        per_slot_uids=False, host_tmpfs=False, cgroups=CgroupSupport.none(),
        problems=_problems(True, "", False, False, CgroupSupport.none()),
    )
    assert report.usable
    text = " ".join(report.problems)
    assert "every slot runs as the worker's own uid" in text
    assert "RLIMIT_AS" in text and "RLIMIT_NPROC only" in text
    assert "checked after each run" in text


def test_cgroups_are_found_where_writable(report: SandboxReport) -> None:
    found = CgroupSupport.detect()
    assert found == report.cgroups
    if os.geteuid() == 0 and Path("/sys/fs/cgroup/memory").is_dir():
        assert found.version == 1 and found.memory is not None


def test_tmp_path_is_refused_with_the_folder_and_its_mode(tmp_path: Path) -> None:
    blocked = next((p for p in reversed(tmp_path.parents) if not p.stat().st_mode & 0o001),
                   None)
    if blocked is None:
        pytest.skip("this tmp_path is reachable by everyone")
    with pytest.raises(UnreachablePath) as caught:
        check_reachable(tmp_path, 61000, 61000)
    message = caught.value.detail
    assert f"the folder {blocked} has mode 0700" in message
    assert "/var/tmp" in message and f"chmod o+x {blocked}" in message


def test_mounting_an_unreachable_folder_fails_before_the_run(
    sandbox: BubblewrapSandbox, bare: Runtime, tmp_path: Path
) -> None:
    if all(p.stat().st_mode & 0o001 for p in tmp_path.parents):
        pytest.skip("this tmp_path is reachable by everyone")
    with sandbox.open(bare) as box, pytest.raises(UnreachablePath, match="cannot reach"):
        box.run(["true"], mounts=[Mount(tmp_path, "/data")])


def test_job_folders_are_reachable(work_root: Path) -> None:
    folder = make_job_folder(work_root)
    check_reachable(folder, 61000, 61000)
    assert oct(folder.stat().st_mode & 0o777) == "0o755"


@pytest.mark.parametrize("target, why", [
    ("relative", "absolute"), ("/", "absolute"), ("/a/../etc", "without '..'"),
    ("/proc/1", "inside /proc"), ("/tmp", "inside /tmp"), ("/usr", "inside /usr"),
])
def test_bad_targets(target: str, why: str) -> None:
    with pytest.raises(SandboxError, match=why):
        check_target(target)
    assert check_target("/app/input/") == "/app/input"


def _reduced_only(report: SandboxReport) -> SandboxReport:
    """This machine's report as it would read where user namespaces are refused."""
    return SandboxReport(
        bwrap=report.bwrap, bwrap_version=report.bwrap_version, namespaces=False,
        bwrap_error="No permissions to create new namespace", per_slot_uids=True,
        host_tmpfs=report.host_tmpfs, cgroups=report.cgroups, privileged=True,
        problems=_problems(False, "No permissions to create new namespace", True,
                           report.host_tmpfs, report.cgroups, privileged=True),
    )


def test_root_can_run_bubblewrap_privileged(report: SandboxReport) -> None:
    assert report.privileged is report.per_slot_uids
    assert report.isolation is Isolation.FULL  # the best this machine has
    assert any(line.startswith("privileged namespaces (bwrap as root, reduced isolation): ")
               for line in report.lines())


def test_without_user_namespaces_only_allowed_challenges_run(
    report: SandboxReport, per_slot: None, tmp_path: Path
) -> None:
    reduced = _reduced_only(report)
    assert reduced.usable and reduced.isolation is Isolation.REDUCED
    assert ("usable for code challenges: only those a curator allowed the reduced sandbox "
            "for") in reduced.lines()
    assert "runs only for challenges a curator allowed it for" in " ".join(reduced.problems)
    assert reduced.require() is Isolation.REDUCED
    with pytest.raises(SandboxUnavailable, match="cannot make a user namespace here"):
        reduced.require("full")
    made = create_sandbox(work_dir=make_job_folder(prefix="probe-"), report=reduced)
    try:
        assert made.isolation is Isolation.REDUCED and made.privileged
        assert "privileged" in made.name
    finally:
        made.close()


def test_the_reduced_sandbox_can_be_chosen_and_needs_root(report: SandboxReport) -> None:
    unprivileged = SandboxReport(
        bwrap=report.bwrap, bwrap_version="", namespaces=True, bwrap_error="",
        per_slot_uids=False, host_tmpfs=False, cgroups=CgroupSupport.none(),
    )
    assert unprivileged.require("full") is Isolation.FULL
    with pytest.raises(SandboxUnavailable, match="needs a root worker"):
        unprivileged.require("reduced")
    if report.privileged:
        assert report.require("reduced") is Isolation.REDUCED
