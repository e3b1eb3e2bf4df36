"""cgroups around each run: memory and process limits on the whole process tree, its OOM
kills, CPU time and peak memory, and a way to kill whatever is left.

cgroup v1 (the measured machine): a memory cgroup under our own (from /proc/self/cgroup),
and a pids cgroup under ours too, which on most hosts is the hierarchy's root. CPU time
comes from the reaped process tree (rusage), not a cpuacct cgroup: every cgroup joined
costs a migration, which waits for an RCU grace period on a busy host.
cgroup v2: one cgroup per run under a delegated parent whose children get the memory and
pids controllers. Each run gets its own cgroups, made before the launch and removed after
(about 0.2 ms here); the runner moves bubblewrap's sandbox process into them before it
forks the program (``join``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

_PROC_CGROUP = Path("/proc/self/cgroup")
_MOUNTINFO = Path("/proc/self/mountinfo")


@dataclass(frozen=True)
class CgroupSupport:
    """Which parents this process may make run cgroups under."""

    version: int | None  # 1, 2, or None when no cgroup is writable
    memory: Path | None = None
    pids: Path | None = None

    @classmethod
    def none(cls) -> CgroupSupport:
        return cls(None)

    @classmethod
    def detect(cls, v2_parent: Path | None = None) -> CgroupSupport:
        """Find writable parents: v1 controllers first (hybrid hosts bind the controllers
        there), else a v2 parent (``v2_parent``, or our own cgroup) whose new children get
        memory and pids."""
        if v2_parent is None:
            mounts, own = _v1_mounts(), _own_paths()
            found = {name: _writable_parent(mounts, own, name)
                     for name in ("memory", "pids")}
            if found["memory"] or found["pids"]:
                return cls(1, found["memory"], found["pids"])
            v2_parent = _own_v2_dir()
        if v2_parent is not None and _v2_usable(v2_parent):
            return cls(2, v2_parent, v2_parent)
        return cls.none()

    def describe(self) -> str:
        if self.version is None:
            return "no writable cgroup"
        parts = [f"{name} under {path}" for name, path in
                 (("memory", self.memory), ("pids", self.pids))
                 if path is not None]
        return f"cgroup v{self.version}: " + ", ".join(parts)


def _unescape(field: str) -> str:
    # mountinfo escapes space, tab, newline and backslash as octal (\040).
    return field.encode().decode("unicode_escape") if "\\" in field else field


def _v1_mounts() -> dict[str, tuple[str, Path]]:
    """controller -> (mount root, mount point) of every cgroup v1 hierarchy."""
    found: dict[str, tuple[str, Path]] = {}
    with contextlib.suppress(OSError):
        for line in _MOUNTINFO.read_text().splitlines():
            left, _, right = line.partition(" - ")
            fields, tail = left.split(), right.split()
            if len(tail) < 3 or tail[0] != "cgroup":
                continue
            for option in tail[2].split(","):
                found[option] = (_unescape(fields[3]), Path(_unescape(fields[4])))
    return found


def _own_paths() -> dict[str, str]:
    """controller -> our cgroup path ("" for the v2 line)."""
    paths: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in _PROC_CGROUP.read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for name in controllers.split(",") if controllers else [""]:
                paths[name] = path
    return paths


def _writable_parent(mounts: dict[str, tuple[str, Path]], own: dict[str, str],
                     controller: str) -> Path | None:
    if controller not in mounts or controller not in own:
        return None
    root, point = mounts[controller]
    path = own[controller]
    if not (path + "/").startswith(root.rstrip("/") + "/"):
        return None  # our cgroup is outside what this namespace's mount shows
    folder = point / path[len(root.rstrip("/")):].lstrip("/")
    return folder if _can_make_child(folder) else None


def _can_make_child(folder: Path) -> bool:
    probe = folder / f"aihub-probe-{uuid.uuid4().hex[:8]}"
    try:
        probe.mkdir()
    except OSError:
        return False
    with contextlib.suppress(OSError):
        probe.rmdir()
    return True


def _own_v2_dir() -> Path | None:
    own = _own_paths().get("")
    for line in _read_lines(_MOUNTINFO):
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if own is not None and tail and tail[0] == "cgroup2":
            return Path(_unescape(fields[4])) / own.lstrip("/")
    return None


def _v2_usable(parent: Path) -> bool:
    """Whether a child made under ``parent`` gets the memory and pids controllers."""
    probe = parent / f"aihub-probe-{uuid.uuid4().hex[:8]}"
    try:
        probe.mkdir()
    except OSError:
        return False
    try:
        return (probe / "memory.max").exists() and (probe / "pids.max").exists()
    finally:
        with contextlib.suppress(OSError):
            probe.rmdir()


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text().splitlines()
    except OSError:
        return []


def _counter(path: Path, key: str) -> int:
    for line in _read_lines(path):
        name, _, value = line.partition(" ")
        if name == key:
            return int(value)
    return 0


class RunCgroup:
    """The cgroups of one run: made with their limits, joined by the launcher, read and
    emptied after the run, then removed."""

    def __init__(self, support: CgroupSupport, *, label: str, memory: bool = True) -> None:
        """Make the run's cgroups, without limits yet (``set_limits``); ``memory`` False
        leaves the memory controller out."""
        self.version = support.version
        self.name = f"aihub-{label}-{uuid.uuid4().hex[:10]}"
        self.dirs: list[Path] = []
        self.memory: Path | None = None
        self.pids: Path | None = None
        try:
            if support.memory is not None and memory:
                self.memory = self._make(support.memory / self.name)
            if support.pids is not None:
                self.pids = self._make(support.pids / self.name)
        except BaseException:
            self.remove()
            raise

    def set_limits(self, *, memory_bytes: int, processes: int) -> None:
        try:
            if self.memory is not None:
                self._limit_memory(memory_bytes)
            if self.pids is not None:
                (self.pids / "pids.max").write_text(str(processes))
        except BaseException:
            self.remove()
            raise

    def _make(self, folder: Path) -> Path:
        if folder not in self.dirs:  # on v2 memory and pids are one folder
            folder.mkdir()
            self.dirs.append(folder)
        return folder

    def _limit_memory(self, memory_bytes: int) -> None:
        assert self.memory is not None
        if self.version == 2:
            (self.memory / "memory.max").write_text(str(memory_bytes))
            _write_if_present(self.memory / "memory.swap.max", "0")
        else:
            memsw = self.memory / "memory.memsw.limit_in_bytes"
            limit = self.memory / "memory.limit_in_bytes"
            # memory + swap, so that swap cannot stretch the limit (absent without
            # swapaccount); memsw may never be below the plain limit, hence the order.
            if memsw.exists() and int(memsw.read_text()) < memory_bytes:
                memsw.write_text(str(memory_bytes))
                limit.write_text(str(memory_bytes))
            else:
                limit.write_text(str(memory_bytes))
                _write_if_present(memsw, str(memory_bytes))
            # A parked launcher's start-up may have been counted: start the peak afresh.
            _write_if_present(self.memory / "memory.max_usage_in_bytes", "0")

    @property
    def limits_memory(self) -> bool:
        return self.memory is not None

    @property
    def procs_files(self) -> list[Path]:
        return [folder / "cgroup.procs" for folder in self.dirs]

    def join(self, pid: int) -> None:
        """Move ``pid`` (bubblewrap's sandbox process, still blocked before it forks the
        program) into every cgroup of the run."""
        for procs in self.procs_files:
            # Gone already: bubblewrap failed in its set-up and reports why on stderr.
            with contextlib.suppress(ProcessLookupError):
                procs.write_text(str(pid))

    def oom_kills(self) -> int:
        if self.memory is None:
            return 0
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        return _counter(self.memory / name, "oom_kill")

    def peak_memory(self) -> int | None:
        if self.memory is None:
            return None
        name = "memory.peak" if self.version == 2 else "memory.max_usage_in_bytes"
        try:
            return int((self.memory / name).read_text())
        except (OSError, ValueError):
            return None

    def cpu_seconds(self) -> float | None:
        """CPU time of the whole run on v2 (cpu.stat is always there); None on v1."""
        if self.version == 2 and self.memory is not None:
            with contextlib.suppress(OSError, ValueError):
                return _counter(self.memory / "cpu.stat", "usage_usec") / 1e6
        return None

    def members(self) -> set[int]:
        pids: set[int] = set()
        for procs in self.procs_files:
            pids.update(int(line) for line in _read_lines(procs) if line.strip())
        return pids

    def kill_all(self, timeout: float = 5.0) -> None:
        """SIGKILL every process in the run's cgroups until none is left (a fork bomb can
        add processes between reading the list and killing; its pids limit bounds that)."""
        if self.version == 2 and self.memory is not None:
            _write_if_present(self.memory / "cgroup.kill", "1")
        deadline = time.monotonic() + timeout
        while (pids := self.members()) and time.monotonic() < deadline:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.005)

    def remove(self) -> None:
        for folder in reversed(self.dirs):
            _rmdir_patiently(folder)
        self.dirs.clear()


def remove_stale(support: CgroupSupport, older_than: float = 60.0) -> int:
    """Remove empty run cgroups (``aihub-*``) older than ``older_than`` seconds, left by a
    worker that ended without cleaning up (a killed worker's parked launchers exit by
    themselves, but their cgroups stay). Returns how many were removed."""
    removed = 0
    now = time.time()
    for parent in {p for p in (support.memory, support.pids) if p is not None}:
        for folder in parent.glob("aihub-*"):
            try:
                if (folder / "cgroup.procs").read_text().strip() or \
                        now - folder.stat().st_mtime < older_than:
                    continue
                folder.rmdir()
                removed += 1
            except OSError:
                continue  # in use, or gone meanwhile
    return removed


def _write_if_present(path: Path, value: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.write_text(value)


def _rmdir_patiently(folder: Path, timeout: float = 2.0) -> None:
    # A cgroup whose last process was just killed may still count it for a moment (EBUSY).
    deadline = time.monotonic() + timeout
    while True:
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)
