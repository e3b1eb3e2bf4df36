"""What this machine's sandbox can do: ``aihub sandbox check`` and the worker's start-up.

Where bubblewrap cannot make its namespaces, code challenges must be refused
(``SandboxReport.require`` raises ``SandboxUnavailable``): aihub never runs participant
code bare. The other parts (per-slot uids, host tmpfs areas, cgroups) each weaken one
guarantee when missing, and the report says which in a sentence.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from aihub.evaluation.sandbox.areas import can_mount_tmpfs
from aihub.evaluation.sandbox.bubblewrap import BubblewrapSandbox
from aihub.evaluation.sandbox.cgroups import CgroupSupport
from aihub.evaluation.sandbox.command import LAUNCHER_ENV, bwrap_args, launcher_args, rlimit_args
from aihub.evaluation.sandbox.errors import SandboxUnavailable
from aihub.evaluation.sandbox.limits import MIB, Limits
from aihub.evaluation.sandbox.paths import DEFAULT_JOB_BASE
from aihub.evaluation.sandbox.process import Execution, become_subreaper
from aihub.evaluation.sandbox.slots import DEFAULT_FIRST_UID, SlotPool

_PROBE_TIMEOUT = 20.0


@dataclass(frozen=True)
class SandboxReport:
    bwrap: str | None  # its path, None when not installed
    bwrap_version: str
    namespaces: bool  # bwrap --unshare-all ran a program here, as a slot would
    bwrap_error: str
    per_slot_uids: bool
    host_tmpfs: bool
    cgroups: CgroupSupport
    problems: tuple[str, ...] = field(default=())

    @property
    def usable(self) -> bool:
        return self.namespaces

    def require(self) -> None:
        """Raise ``SandboxUnavailable`` where code cannot be sandboxed here."""
        if not self.usable:
            raise SandboxUnavailable(
                "Code challenges cannot run on this worker: " + " ".join(self.problems)
            )

    def lines(self) -> list[str]:
        yes = {True: "yes", False: "no"}
        lines = [
            f"bubblewrap: {self.bwrap or 'not installed'} {self.bwrap_version}".rstrip(),
            f"namespaces (bwrap --unshare-all): {yes[self.namespaces]}",
            f"per-slot uids (root): {yes[self.per_slot_uids]}",
            f"size-limited output areas (host tmpfs): {yes[self.host_tmpfs]}",
            f"cgroups: {self.cgroups.describe()}",
            f"usable for code challenges: {yes[self.usable]}",
        ]
        return lines + [f"- {problem}" for problem in self.problems]


def probe_sandbox(*, bwrap: str = "bwrap", first_uid: int = DEFAULT_FIRST_UID,
                  work_dir: Path | None = None) -> SandboxReport:
    """Try each part of the sandbox on this machine, as a slot would use it."""
    path = shutil.which(bwrap)
    per_slot = os.geteuid() == 0
    cgroups = CgroupSupport.detect()
    base = work_dir or DEFAULT_JOB_BASE
    base.mkdir(parents=True, exist_ok=True)
    host_tmpfs = can_mount_tmpfs(base)
    version, works, error = "", False, "bubblewrap is not installed"
    if path is not None:
        version = _version(path)
        works, error = _try_namespaces(path, SlotPool(first_uid, 1, per_slot_uids=per_slot))
    problems = _problems(works, error, per_slot, host_tmpfs, cgroups)
    return SandboxReport(path, version, works, error, per_slot, host_tmpfs, cgroups, problems)


def create_sandbox(*, work_dir: Path, first_uid: int = DEFAULT_FIRST_UID, slots: int = 1,
                   limits: Limits | None = None, bwrap: str = "bwrap",
                   report: SandboxReport | None = None) -> BubblewrapSandbox:
    """The bubblewrap sandbox for this worker, or ``SandboxUnavailable`` with the reason."""
    report = report or probe_sandbox(bwrap=bwrap, first_uid=first_uid, work_dir=work_dir)
    report.require()
    assert report.bwrap is not None
    return BubblewrapSandbox(
        slots=SlotPool(first_uid, slots, per_slot_uids=report.per_slot_uids,
                       lock_dir=work_dir),
        work_dir=work_dir, limits=limits, cgroups=report.cgroups,
        host_tmpfs=report.host_tmpfs, bwrap=report.bwrap,
    )


def _version(path: str) -> str:
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True,  # noqa: S603
                              timeout=_PROBE_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip().removeprefix("bubblewrap ").strip()


def _try_namespaces(bwrap: str, slots: SlotPool) -> tuple[bool, str]:
    """Run /usr/bin/true the way a slot runs programs (its uid, prlimit, the same bwrap
    options), reaping bubblewrap's init as a run does."""
    slot = slots.slot_for(0)
    become_subreaper()
    info_pipe = os.pipe()
    argv = [
        *launcher_args(slot=slot, per_slot_uids=slots.per_slot_uids,
                       rlimits=rlimit_args({"RLIMIT_NPROC": (64, 64)})),
        *bwrap_args(bwrap, runtime=None, mounts=[], areas=[], workdir="/",
                    env={"PATH": "/usr/bin:/bin"}, workspace_bytes=MIB, info_fd=info_pipe[1]),
        "/usr/bin/true",
    ]
    try:
        execution = Execution.spawn(argv, env=dict(LAUNCHER_ENV), info_pipe=info_pipe,
                                    wall_seconds=_PROBE_TIMEOUT, stdout_cap=MIB,
                                    stderr_cap=MIB, kill_after=lambda cap: 2 * cap)
    except OSError as exc:
        return False, str(exc)
    ended = execution.wait()
    if ended.status != 0:
        return False, execution.stderr.text().strip() or f"exit status {ended.status}"
    return True, ""


def _problems(works: bool, error: str, per_slot: bool, host_tmpfs: bool,
              cgroups: CgroupSupport) -> tuple[str, ...]:
    problems = []
    if not works:
        problems.append(
            f"bubblewrap cannot make its namespaces here ({error}). Install it (apt-get "
            f"install bubblewrap) and allow unprivileged user namespaces (sysctl "
            f"kernel.unprivileged_userns_clone=1 or user.max_user_namespaces > 0; inside "
            f"Docker, a seccomp profile that allows clone with CLONE_NEWUSER)."
        )
    if not per_slot:
        problems.append(
            "The worker is not root, so every slot runs as the worker's own uid: "
            "concurrent runs share one process budget with each other and the worker, and "
            "their files belong to the worker. Run the worker as root to give each slot its "
            "own uid, or use one slot."
        )
    if not host_tmpfs:
        problems.append(
            "Output areas cannot be size-limited tmpfs mounts (needs root): their size is "
            "checked after each run instead, and each file is capped by RLIMIT_FSIZE."
        )
    if cgroups.memory is None:
        problems.append(
            "No writable memory cgroup: memory is limited per process by RLIMIT_AS, which "
            "breaks GPU jobs and does not bound a tree of processes as a whole."
        )
    if cgroups.pids is None:
        problems.append("No writable pids cgroup: processes are limited by RLIMIT_NPROC only.")
    return tuple(problems)
