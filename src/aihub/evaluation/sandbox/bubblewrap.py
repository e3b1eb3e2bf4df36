"""The bubblewrap sandbox: each run as its slot's uid, in its own namespaces, with only
/usr, the runtime, the caller's read-only mounts and the box's writable areas visible.

    sandbox = BubblewrapSandbox(slots=SlotPool(61000, 2), work_dir=Path("/var/tmp/aihub"))
    with sandbox.open(runtime, limits) as box:      # takes a slot, makes its areas
        out = box.writable("/predictions")          # host path, owned by the slot uid
        result = box.run(["python3", "main.py"], mounts=[Mount(sub, "/submission")],
                         workdir="/submission")
        files = read_outputs(out)                   # links and devices refused
    # here: processes killed, cgroups removed, areas unmounted and wiped, slot free
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from aihub.evaluation.sandbox.areas import SharedArea, WritableArea, can_mount_tmpfs
from aihub.evaluation.sandbox.base import Box, Isolation, RunHandle, Sandbox
from aihub.evaluation.sandbox.cgroups import CgroupSupport, RunCgroup, remove_stale
from aihub.evaluation.sandbox.command import (
    LAUNCHER_ENV,
    bwrap_args,
    check_layout,
    drop_inside_args,
    launcher_args,
    rlimits,
    sandbox_env,
)
from aihub.evaluation.sandbox.errors import SandboxError
from aihub.evaluation.sandbox.limits import Limits
from aihub.evaluation.sandbox.parking import ParkedLauncher
from aihub.evaluation.sandbox.paths import (
    Mount,
    check_reachable,
    check_target,
    check_world_reachable,
)
from aihub.evaluation.sandbox.process import (
    Execution,
    become_subreaper,
    sweep_uid,
    uid_processes,
)
from aihub.evaluation.sandbox.results import Facts, RunResult, classify, split_status
from aihub.evaluation.sandbox.runtimes import Runtime
from aihub.evaluation.sandbox.slots import Slot, SlotPool

_STDERR_TAIL = 4096
# bubblewrap's own processes in the slot's process budget: the outer monitor and the init
# of the pid namespace.
_BWRAP_PROCESSES = 2


class BubblewrapSandbox:
    """``privileged=True`` is the reduced form for machines without user namespaces
    (``command.py``): bubblewrap runs as root, the program as its slot's uid."""

    def __init__(self, *, slots: SlotPool, work_dir: Path, limits: Limits | None = None,
                 cgroups: CgroupSupport | None = None, host_tmpfs: bool | None = None,
                 bwrap: str = "/usr/bin/bwrap", privileged: bool = False) -> None:
        if os.geteuid() == 0 and not slots.per_slot_uids:
            raise SandboxError("As root the sandbox must give each slot its own uid: "
                               "sandboxed code never runs as root (sandbox.md, finding 1).")
        if privileged and not slots.per_slot_uids:
            raise SandboxError("The privileged (reduced) sandbox needs a root worker: it is "
                               "bubblewrap run as root, the program dropped to its slot's uid.")
        self.privileged = privileged
        self.name = "bubblewrap (privileged, no user namespace)" if privileged else "bubblewrap"
        self.isolation = Isolation.REDUCED if privileged else Isolation.FULL
        self.slots = slots
        self.limits = limits or Limits()
        self.bwrap = bwrap
        self.work_dir = _prepare_work_dir(work_dir)
        self.cgroups = CgroupSupport.detect() if cgroups is None else cgroups
        self.host_tmpfs = can_mount_tmpfs(self.work_dir) if host_tmpfs is None else host_tmpfs
        become_subreaper()
        remove_stale(self.cgroups)
        self._parked: dict[int, Future[ParkedLauncher]] = {}  # by slot index
        self._parked_lock = threading.Lock()
        # Parked launchers are forked by this one long-lived thread: bubblewrap's
        # --die-with-parent follows the thread that forked it, and a worker thread that
        # parked a launcher may have ended before another uses it (the run would be killed).
        self._parker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aihub-parker")
        atexit.register(self.close)  # parked launchers' cgroups go with the process

    @contextmanager
    def open(self, runtime: Runtime | None = None, limits: Limits | None = None, *,
             timeout: float | None = None) -> Iterator[BubblewrapBox]:
        slot = self.slots.acquire(timeout)
        try:
            box = BubblewrapBox(self, slot, limits or self.limits, runtime)
        except BaseException:
            self.slots.release(slot)
            raise
        try:
            yield box
        finally:
            try:
                box.close()
            finally:
                self.slots.release(slot)

    def shared_area(self, size_bytes: int) -> SharedArea:
        return SharedArea(self.work_dir / "shared", size_bytes=size_bytes,
                          use_tmpfs=self.host_tmpfs)

    def park(self, slot: Slot) -> None:
        """Have a launcher wait in fresh cgroups for the slot's next run (``parking.py``);
        where it cannot be made, that run starts the usual way. Returns at once: the
        launcher is started by the parker thread, off the path of the run that asked."""
        if self.cgroups.version is None:
            return
        with self._parked_lock:
            if slot.index in self._parked:
                return
            try:
                self._parked[slot.index] = self._parker.submit(
                    ParkedLauncher, self.cgroups, f"parked-{slot.uid}")
            except RuntimeError:  # the parker is shut down: the sandbox is closing
                return

    def take_parked(self, slot: Slot) -> ParkedLauncher | None:
        with self._parked_lock:
            pending = self._parked.pop(slot.index, None)
        launcher = _launcher_of(pending)
        if launcher is not None and not launcher.alive():
            launcher.discard()
            return None
        return launcher

    def close(self) -> None:
        """Stop the parked launchers (they also stop by themselves when this process
        ends)."""
        with self._parked_lock:
            parked, self._parked = list(self._parked.values()), {}
        self._parker.shutdown(wait=False, cancel_futures=True)
        for pending in parked:
            launcher = _launcher_of(pending)
            if launcher is not None:
                launcher.discard()


def _launcher_of(pending: Future[ParkedLauncher] | None) -> ParkedLauncher | None:
    """The parked launcher once started (a start takes a millisecond or two, far less
    than a run); None when there was none, it was cancelled, or it could not start."""
    if pending is None:
        return None
    try:
        return pending.result()
    except (OSError, CancelledError):
        return None


def _prepare_work_dir(work_dir: Path) -> Path:
    if not work_dir.exists():
        work_dir.mkdir(parents=True)
        work_dir.chmod(0o711)  # slots may enter their own areas, not list the others
    check_world_reachable(work_dir, enter_only=True)
    return work_dir


class BubblewrapBox:
    def __init__(self, sandbox: BubblewrapSandbox, slot: Slot, limits: Limits,
                 runtime: Runtime | None) -> None:
        self.sandbox = sandbox
        self.slot = slot
        self.limits = limits
        self.runtime = runtime
        if runtime is not None:
            check_reachable(runtime.root, slot.uid, slot.gid)
        self.folder = Path(tempfile.mkdtemp(prefix=f"box-{slot.uid}-", dir=sandbox.work_dir))
        self.folder.chmod(0o711)
        self._areas: list[WritableArea] = []
        self._own_areas: list[WritableArea] = []
        self._runs: list[BubblewrapRun] = []
        self._lock = threading.Lock()
        self._closed = False

    def writable(self, target: str, *, area: SharedArea | None = None) -> Path:
        target = check_target(target)
        with self._lock:
            if any(existing.target == target for existing in self._areas):
                raise SandboxError(f"The box already has a writable area at {target}.")
            if area is not None:
                shared = WritableArea(target, area.path, area.area.size_bytes,
                                      mounted=area.area.mounted)
                self._areas.append(shared)
                return area.path
            made = WritableArea.create(
                target, self.folder / f"area-{len(self._own_areas)}",
                size_bytes=self.limits.output_bytes, uid=self.slot.uid, gid=self.slot.gid,
                mode=0o700, use_tmpfs=self.sandbox.host_tmpfs,
            )
            self._areas.append(made)
            self._own_areas.append(made)
            return made.path

    def start(self, argv: Sequence[str], *, mounts: Sequence[Mount] = (),
              workdir: str = "/tmp", env: Mapping[str, str] | None = None,  # noqa: S108
              limits: Limits | None = None) -> BubblewrapRun:
        if not argv:
            raise SandboxError("A sandboxed run needs a command to run.")
        limits = limits or self.limits
        mounts = [self._checked(mount) for mount in mounts]
        program_env = sandbox_env(self.runtime, env)
        # Held while starting, so that close() cannot miss a run that is being started.
        with self._lock:
            if self._closed:
                raise SandboxError("This sandbox box is closed; open a new one.")
            areas = list(self._areas)
            check_layout([*(m.target for m in mounts), *(a.target for a in areas),
                          *([str(self.runtime.root)] if self.runtime else [])])
            run = BubblewrapRun(self, argv, mounts=mounts, areas=areas, workdir=workdir,
                                env=program_env, limits=limits)
            self._runs = [*(r for r in self._runs if not r.waited), run]
        return run

    def run(self, argv: Sequence[str], *, mounts: Sequence[Mount] = (),
            workdir: str = "/tmp", env: Mapping[str, str] | None = None,  # noqa: S108
            limits: Limits | None = None) -> RunResult:
        return self.start(argv, mounts=mounts, workdir=workdir, env=env, limits=limits).wait()

    def _checked(self, mount: Mount) -> Mount:
        check_reachable(mount.source, self.slot.uid, self.slot.gid)
        return Mount(mount.source.resolve(), check_target(mount.target))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            runs = list(self._runs)
        for run in runs:
            run.kill()
            run.wait()
        if self.sandbox.slots.per_slot_uids:
            # Nothing of the slot may outlive the box: the next job gets the same uid.
            sweep_uid(self.slot.uid)
        for area in self._own_areas:
            area.remove()
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass(frozen=True)
class _Launch:
    """What starting one run needs, however it is launched."""

    bwrap: Callable[..., list[str]]  # bubblewrap's command line, given its fds
    program: list[str]  # what bubblewrap runs (behind the uid drop, when privileged)
    slot: Slot
    uid: int | None  # what the launcher becomes before bubblewrap; None: it stays
    rlimits: dict[str, tuple[int, int]]  # set before bubblewrap ({} when set inside)
    watch: Callable[..., Execution]  # Execution, with the run's limits

    @classmethod
    def of(cls, sandbox: BubblewrapSandbox, slot: Slot, argv: Sequence[str],
           bwrap: Callable[..., list[str]], rlimits: dict[str, tuple[int, int]],
           watch: Callable[..., Execution]) -> _Launch:
        if sandbox.privileged:
            return cls(partial(bwrap, privileged=True), [*drop_inside_args(slot, rlimits), *argv],
                       slot, None, {}, watch)
        uid = slot.uid if sandbox.slots.per_slot_uids else None
        return cls(bwrap, list(argv), slot, uid, rlimits, watch)

    @property
    def gid(self) -> int | None:
        return None if self.uid is None else self.slot.gid


class BubblewrapRun:
    """One program started in a box."""

    def __init__(self, box: BubblewrapBox, argv: Sequence[str], *, mounts: Sequence[Mount],
                 areas: Sequence[WritableArea], workdir: str, env: Mapping[str, str],
                 limits: Limits) -> None:
        self.limits = limits
        self._areas = areas
        self._usage_before = [area.usage() for area in areas]
        self._result: RunResult | None = None
        self._wait_lock = threading.Lock()
        sandbox = box.sandbox
        self._memory_by_cgroup = sandbox.cgroups.memory is not None
        self._cgroup: RunCgroup | None = None
        launch = _Launch.of(
            sandbox, box.slot, argv,
            bwrap=partial(bwrap_args, sandbox.bwrap, runtime=box.runtime, mounts=mounts,
                          areas=areas, workdir=workdir, env=env,
                          workspace_bytes=limits.workspace_bytes),
            rlimits=rlimits(limits, nproc=self._nproc(box),
                            address_space=not self._memory_by_cgroup),
            watch=partial(Execution, wall_seconds=limits.wall_seconds,
                          stdout_cap=limits.stdout_bytes, stderr_cap=limits.stderr_bytes,
                          kill_after=limits.output_kill_bytes),
        )
        parked = sandbox.take_parked(box.slot)
        self._execution = (self._launch_parked(parked, launch) if parked is not None else None) \
            or self._launch_new(sandbox, launch)
        self.pid = self._execution.pid
        sandbox.park(box.slot)  # for the next run, while this one runs

    def _cgroup_limits(self, cgroup: RunCgroup) -> None:
        cgroup.set_limits(memory_bytes=self.limits.memory_bytes,
                          processes=self.limits.processes + _BWRAP_PROCESSES)

    def _launch_parked(self, parked: ParkedLauncher, launch: _Launch) -> Execution | None:
        """Release a parked launcher; None (after discarding it) when it is gone."""
        try:
            self._cgroup_limits(parked.cgroup)
            parked.go([*launch.bwrap(info_fd=parked.info_write), *launch.program],
                      uid=launch.uid, gid=launch.gid, rlimits=launch.rlimits,
                      env=dict(LAUNCHER_ENV))
        except OSError:
            parked.discard()
            return None
        self._cgroup = parked.cgroup
        return launch.watch(parked.proc, info_fd=parked.info_read)

    def _launch_new(self, sandbox: BubblewrapSandbox, launch: _Launch) -> Execution:
        """Start the launcher chain; where cgroups are used, bubblewrap waits on its
        --block-fd while its sandbox process is moved into them."""
        if sandbox.cgroups.version is not None:
            self._cgroup = RunCgroup(sandbox.cgroups, label=str(launch.slot.uid))
        info_pipe = os.pipe()
        block_pipe = os.pipe() if self._cgroup is not None else None
        try:
            if self._cgroup is not None:
                self._cgroup_limits(self._cgroup)
            argv = [
                *launcher_args(uid=launch.uid, gid=launch.gid, rlimits=launch.rlimits),
                *launch.bwrap(info_fd=info_pipe[1],
                              block_fd=block_pipe[0] if block_pipe else None),
                *launch.program,
            ]
            return Execution.spawn(
                argv, env=dict(LAUNCHER_ENV), info_pipe=info_pipe, block_pipe=block_pipe,
                before_release=self._cgroup.join if self._cgroup else None,
                wall_seconds=self.limits.wall_seconds, stdout_cap=self.limits.stdout_bytes,
                stderr_cap=self.limits.stderr_bytes, kill_after=self.limits.output_kill_bytes,
            )
        except BaseException:
            if self._cgroup is not None:
                self._cgroup.remove()
            raise

    def _nproc(self, box: BubblewrapBox) -> int:
        budget = self.limits.processes + _BWRAP_PROCESSES
        if not box.sandbox.slots.per_slot_uids:
            # RLIMIT_NPROC counts every process of the uid: here the worker's own too.
            budget += len(uid_processes(box.slot.uid))
        return budget

    def kill(self) -> None:
        self._execution.kill()

    @property
    def waited(self) -> bool:
        return self._result is not None

    def done(self) -> bool:
        return self._execution.done()

    def wait(self) -> RunResult:
        with self._wait_lock:
            if self._result is None:
                self._result = self._finish()
            return self._result

    def _finish(self) -> RunResult:
        ended = self._execution.wait()
        cgroup = self._cgroup
        oom_kills, cpu, peak = 0, ended.cpu_seconds, ended.max_rss_bytes or None
        if cgroup is not None:
            try:
                cgroup.kill_all()
                oom_kills = cgroup.oom_kills()
                cpu = cgroup.cpu_seconds() or cpu
                peak = cgroup.peak_memory() or peak
            finally:
                cgroup.remove()
        out, err = self._execution.stdout, self._execution.stderr
        stderr = err.text()
        facts = Facts(
            status=ended.status, killed_for=ended.killed_for, oom_kills=oom_kills,
            memory_by_cgroup=self._memory_by_cgroup, cpu_seconds=cpu,
            disk_over=any(area.grew_past_size(before)
                          for area, before in zip(self._areas, self._usage_before, strict=True)),
            stderr_tail=stderr[-_STDERR_TAIL:],
        )
        outcome, reason = classify(facts, self.limits)
        code, sig = split_status(ended.status)
        return RunResult(
            outcome=outcome, exit_code=code, signal=sig, stdout=out.text(), stderr=stderr,
            stdout_truncated=out.truncated, stderr_truncated=err.truncated,
            wall_seconds=ended.wall_seconds, cpu_seconds=cpu, peak_memory_bytes=peak,
            reason=reason,
        )



if TYPE_CHECKING:  # mypy checks here that the bubblewrap classes fit the seam

    def _fits_the_seam(sandbox: BubblewrapSandbox, box: BubblewrapBox,
                       run: BubblewrapRun) -> tuple[Sandbox, Box, RunHandle]:
        return sandbox, box, run
