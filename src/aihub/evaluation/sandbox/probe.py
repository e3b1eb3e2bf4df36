"""What this machine's sandbox can do: ``aihub sandbox check`` and the worker's start-up.

Where bubblewrap cannot make a user namespace, a root worker may still run it privileged
(reduced isolation, ``command.py``): code runs there only for the challenges a curator
allowed it for. Where neither works, code challenges are refused
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
from typing import Literal

from aihub.evaluation.sandbox.areas import can_mount_tmpfs
from aihub.evaluation.sandbox.base import Isolation
from aihub.evaluation.sandbox.bubblewrap import BubblewrapSandbox
from aihub.evaluation.sandbox.cgroups import CgroupSupport
from aihub.evaluation.sandbox.command import (
    LAUNCHER_ENV,
    bwrap_args,
    drop_inside_args,
    launcher_args,
)
from aihub.evaluation.sandbox.errors import SandboxUnavailable
from aihub.evaluation.sandbox.limits import MIB, Limits
from aihub.evaluation.sandbox.paths import DEFAULT_JOB_BASE
from aihub.evaluation.sandbox.process import Execution, become_subreaper
from aihub.evaluation.sandbox.slots import DEFAULT_FIRST_UID, SlotPool

_PROBE_TIMEOUT = 20.0
_PROBE_RLIMITS = {"RLIMIT_NPROC": (64, 64)}

# auto: the full sandbox where it works, else the privileged one; full: never the
# privileged one; reduced: always the privileged one (root only).
SandboxMode = Literal["auto", "full", "reduced"]


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
    # bubblewrap run as root without a user namespace (the reduced form) ran a program here
    privileged: bool = False

    @property
    def isolation(self) -> Isolation | None:
        """The best sandbox this machine has; None where code cannot be sandboxed."""
        if self.namespaces:
            return Isolation.FULL
        return Isolation.REDUCED if self.privileged else None

    @property
    def usable(self) -> bool:
        return self.isolation is not None

    def require(self, mode: SandboxMode = "auto") -> Isolation:
        """The isolation a sandbox made in ``mode`` has here; ``SandboxUnavailable``, with
        the reasons, where there is none."""
        if mode == "reduced" and self.privileged:
            return Isolation.REDUCED
        if mode == "reduced":
            raise SandboxUnavailable(
                "The reduced sandbox (AIHUB_SANDBOX_MODE=reduced) cannot run on this worker: "
                "it needs a root worker whose bubblewrap can make namespaces. "
                + " ".join(self.problems))
        isolation = self.isolation
        if isolation is None or (mode == "full" and isolation is not Isolation.FULL):
            raise SandboxUnavailable(
                "Code challenges cannot run on this worker: " + " ".join(self.problems)
            )
        return isolation

    def lines(self) -> list[str]:
        yes = {True: "yes", False: "no"}
        lines = [
            f"bubblewrap: {self.bwrap or 'not installed'} {self.bwrap_version}".rstrip(),
            f"namespaces (bwrap --unshare-all): {yes[self.namespaces]}",
            f"privileged namespaces (bwrap as root, reduced isolation): "
            f"{yes[self.privileged]}",
            f"per-slot uids (root): {yes[self.per_slot_uids]}",
            f"size-limited output areas (host tmpfs): {yes[self.host_tmpfs]}",
            f"cgroups: {self.cgroups.describe()}",
            f"usable for code challenges: {self._verdict()}",
        ]
        return lines + [f"- {problem}" for problem in self.problems]

    def _verdict(self) -> str:
        if self.isolation is Isolation.REDUCED:
            return "only those a curator allowed the reduced sandbox for"
        return "yes" if self.usable else "no"


def probe_sandbox(*, bwrap: str = "bwrap", first_uid: int = DEFAULT_FIRST_UID,
                  work_dir: Path | None = None) -> SandboxReport:
    """Try each part of the sandbox on this machine, as a slot would use it."""
    path = shutil.which(bwrap)
    per_slot = os.geteuid() == 0
    cgroups = CgroupSupport.detect()
    base = work_dir or DEFAULT_JOB_BASE
    base.mkdir(parents=True, exist_ok=True)
    host_tmpfs = can_mount_tmpfs(base)
    version, works, error, privileged = "", False, "bubblewrap is not installed", False
    if path is not None:
        version = _version(path)
        slots = SlotPool(first_uid, 1, per_slot_uids=per_slot)
        works, error = _try_namespaces(path, slots)
        # Root can run bubblewrap without a user namespace: the reduced form.
        privileged = per_slot and _try_namespaces(path, slots, privileged=True)[0]
    problems = _problems(works, error, per_slot, host_tmpfs, cgroups, privileged=privileged)
    return SandboxReport(path, version, works, error, per_slot, host_tmpfs, cgroups, problems,
                         privileged)


def create_sandbox(*, work_dir: Path, first_uid: int = DEFAULT_FIRST_UID, slots: int = 1,
                   limits: Limits | None = None, bwrap: str = "bwrap",
                   report: SandboxReport | None = None,
                   mode: SandboxMode = "auto") -> BubblewrapSandbox:
    """The best bubblewrap sandbox ``mode`` allows on this worker, or ``SandboxUnavailable``
    with the reason."""
    report = report or probe_sandbox(bwrap=bwrap, first_uid=first_uid, work_dir=work_dir)
    isolation = report.require(mode)
    assert report.bwrap is not None
    return BubblewrapSandbox(
        slots=SlotPool(first_uid, slots, per_slot_uids=report.per_slot_uids,
                       lock_dir=work_dir),
        work_dir=work_dir, limits=limits, cgroups=report.cgroups,
        host_tmpfs=report.host_tmpfs, bwrap=report.bwrap,
        privileged=isolation is Isolation.REDUCED,
    )


def _version(path: str) -> str:
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True,  # noqa: S603
                              timeout=_PROBE_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip().removeprefix("bubblewrap ").strip()


def _try_namespaces(bwrap: str, slots: SlotPool, *,
                    privileged: bool = False) -> tuple[bool, str]:
    """Run /usr/bin/true the way a slot runs programs (its uid, prlimit, the same bwrap
    options), reaping bubblewrap's init as a run does."""
    slot = slots.slot_for(0)
    become_subreaper()
    info_pipe = os.pipe()
    outside = {} if privileged else _PROBE_RLIMITS
    uid = slot.uid if slots.per_slot_uids and not privileged else None
    argv = [
        *launcher_args(uid=uid, gid=slot.gid, rlimits=outside),
        *bwrap_args(bwrap, runtime=None, mounts=[], areas=[], workdir="/",
                    env={"PATH": "/usr/bin:/bin"}, workspace_bytes=MIB, info_fd=info_pipe[1],
                    privileged=privileged),
        *(drop_inside_args(slot, _PROBE_RLIMITS) if privileged else []),
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
              cgroups: CgroupSupport, *, privileged: bool = False) -> tuple[str, ...]:
    problems = []
    if not works and privileged:
        problems.append(
            f"bubblewrap cannot make a user namespace here ({error}), but as root it can "
            f"run privileged: bubblewrap runs as root and makes every other namespace, and "
            f"the program runs as its slot's uid without capabilities. That isolation is "
            f"reduced (a flaw in bubblewrap or the kernel would be met as root, and the "
            f"program may make user namespaces where the kernel allows them), so code runs "
            f"only for challenges a curator allowed it for. For full isolation allow "
            f"unprivileged user namespaces (sysctl user.max_user_namespaces > 0; inside "
            f"Docker, a seccomp profile that allows clone with CLONE_NEWUSER)."
        )
    elif not works:
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
