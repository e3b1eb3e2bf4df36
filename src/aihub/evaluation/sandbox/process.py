"""One launched command: its output read by threads up to a cap, its wall clock, and its
reaping with the resource usage of the tree.

The runner is a threaded process (web server, worker), so nothing runs between fork and
exec here (no ``preexec_fn``): the new session is made by ``subprocess`` in C, the uid and
limits are set by the exec'd launcher (``command.py``), and the cgroups are joined while
bubblewrap waits on its --block-fd (``Execution``).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from aihub.evaluation.sandbox.areas import libc
from aihub.evaluation.sandbox.results import Outcome

_CHUNK = 64 * 1024
_PR_SET_CHILD_SUBREAPER = 36


class CappedReader:
    """Reads a pipe to its end on a thread, keeping the first ``cap`` bytes; calls
    ``on_flood`` once when more than ``kill_after`` bytes came, then keeps draining so the
    writer never blocks on a full pipe."""

    def __init__(self, fd: int, cap: int, kill_after: int, on_flood: Callable[[], None],
                 name: str) -> None:
        self._fd = fd
        self._cap = cap
        self._kill_after = kill_after
        self._on_flood = on_flood
        self._chunks: list[bytes] = []
        self.kept = 0
        self.total = 0
        self._thread = threading.Thread(target=self._read, name=name, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        flooded = False
        try:
            while chunk := os.read(self._fd, _CHUNK):
                self.total += len(chunk)
                if self.kept < self._cap:
                    part = chunk[: self._cap - self.kept]
                    self._chunks.append(part)
                    self.kept += len(part)
                if not flooded and self.total > self._kill_after:
                    flooded = True
                    self._on_flood()
        finally:
            os.close(self._fd)

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    @property
    def truncated(self) -> bool:
        return self.total > self.kept

    def text(self) -> str:
        return b"".join(self._chunks).decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Exit:
    status: int  # exit code, or -N for a launcher killed by signal N
    wall_seconds: float
    cpu_seconds: float  # of the reaped tree (rusage)
    max_rss_bytes: int
    killed_for: Outcome | None


class Execution:
    """A started launcher in its own session, killed at ``wall_seconds`` or when a stream
    floods; ``wait`` reaps it once.

    ``info_fd``: the read end of the pipe given to bubblewrap's --info-fd, which tells the
    host pid of the sandbox's first process (later its init), for the runner to reap:
    bubblewrap leaves it to its parent's reaper. ``block_fd``: the write end of the pipe
    given to --block-fd, where that process waits, its namespaces set up, before it forks
    the program; ``before_release(pid)`` runs meanwhile (joining the run's cgroups, so the
    program is born in them). The child ends' numbers must be in the command line.
    """

    def __init__(self, proc: subprocess.Popen[bytes], *, wall_seconds: float,
                 stdout_cap: int, stderr_cap: int, kill_after: Callable[[int], int],
                 info_fd: int | None = None, block_fd: int | None = None,
                 before_release: Callable[[int], None] | None = None) -> None:
        """Watch ``proc``, a launcher just started (or a parked one just released)."""
        self._lock = threading.Lock()
        self._wait_lock = threading.Lock()
        self._reaped = False
        self._exit: Exit | None = None
        self.killed_for: Outcome | None = None
        self._info_fd = info_fd
        self._proc = proc
        self.started = time.monotonic()
        self.pid = proc.pid
        assert proc.stdout is not None and proc.stderr is not None
        flood = lambda: self.kill(Outcome.OUTPUT_LIMIT)  # noqa: E731
        # The readers own the pipes' descriptors from here on (they close them at EOF).
        self.stdout = CappedReader(os.dup(proc.stdout.fileno()), stdout_cap,
                                   kill_after(stdout_cap), flood, f"sandbox-out-{self.pid}")
        self.stderr = CappedReader(os.dup(proc.stderr.fileno()), stderr_cap,
                                   kill_after(stderr_cap), flood, f"sandbox-err-{self.pid}")
        proc.stdout.close()
        proc.stderr.close()
        self._timer = threading.Timer(wall_seconds, self.kill, args=(Outcome.TIME_LIMIT,))
        self._timer.daemon = True
        self._timer.start()
        self.sandbox_pid = (_read_child_pid(info_fd, self.started + wall_seconds)
                            if info_fd is not None else None)
        if block_fd is not None:
            self._release(block_fd, before_release)

    @classmethod
    def spawn(cls, argv: Sequence[str], *, env: dict[str, str],
              info_pipe: tuple[int, int] | None = None,
              block_pipe: tuple[int, int] | None = None,
              before_release: Callable[[int], None] | None = None, wall_seconds: float,
              stdout_cap: int, stderr_cap: int, kill_after: Callable[[int], int],
              ) -> Execution:
        """Start ``argv`` in a new session (the write ends of the pipes are given to it and
        closed here)."""
        child_ends = [end for end in (info_pipe[1] if info_pipe else None,
                                      block_pipe[0] if block_pipe else None) if end is not None]
        try:
            proc = subprocess.Popen(  # noqa: S603 - argv is built by the sandbox
                list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, env=env, start_new_session=True, close_fds=True,
                pass_fds=child_ends,
            )
        except BaseException:
            for fd in (info_pipe[0] if info_pipe else None,
                       block_pipe[1] if block_pipe else None):
                if fd is not None:
                    os.close(fd)
            raise
        finally:
            for fd in child_ends:
                os.close(fd)
        return cls(proc, wall_seconds=wall_seconds, stdout_cap=stdout_cap,
                   stderr_cap=stderr_cap, kill_after=kill_after,
                   info_fd=info_pipe[0] if info_pipe else None,
                   block_fd=block_pipe[1] if block_pipe else None,
                   before_release=before_release)

    def _release(self, block_fd: int, before_release: Callable[[int], None] | None) -> None:
        try:
            if self.sandbox_pid is not None and before_release is not None:
                before_release(self.sandbox_pid)
            with contextlib.suppress(BrokenPipeError):  # bubblewrap failed before blocking
                os.write(block_fd, b"1")
        except BaseException:
            self.kill()
            self.wait()
            raise
        finally:
            os.close(block_fd)

    def kill(self, reason: Outcome | None = None) -> None:
        """SIGKILL the launcher's process group: the outer bubblewrap and the init of the
        sandbox's pid namespace, whose death takes every process inside with it."""
        with self._lock:
            if self._reaped:
                return  # the pid may belong to someone else by now
            if self.killed_for is None:
                self.killed_for = reason
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)

    def done(self) -> bool:
        if self._exit is not None:
            return True
        # Not Popen.poll(): that would reap the child behind wait()'s back.
        with contextlib.suppress(ChildProcessError):
            return os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        return True

    def wait(self) -> Exit:
        with self._wait_lock:
            if self._exit is None:
                self._exit = self._reap()
            return self._exit

    def _reap(self) -> Exit:
        # Wait without reaping first, so that kill() never signals a reused pid.
        os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOWAIT)
        with self._lock:
            self._reaped = True
            _, status, usage = os.wait4(self.pid, 0)
        wall = time.monotonic() - self.started
        self._timer.cancel()
        code = os.waitstatus_to_exitcode(status)
        self._proc.returncode = code  # so Popen neither waits again nor warns
        cpu = usage.ru_utime + usage.ru_stime
        rss = usage.ru_maxrss
        if self.sandbox_pid is not None:
            init_usage = _reap_init(self.sandbox_pid)
            if init_usage is not None:
                cpu += init_usage.ru_utime + init_usage.ru_stime
                rss = max(rss, init_usage.ru_maxrss)
        if self._info_fd is not None:
            os.close(self._info_fd)
        for reader in (self.stdout, self.stderr):
            reader.join(timeout=5.0)
        return Exit(code, wall, cpu, rss * 1024, self.killed_for)


def become_subreaper() -> bool:
    """Make this process the reaper of its orphaned descendants (PR_SET_CHILD_SUBREAPER).

    bubblewrap's outer process exits as soon as the sandbox's init reports the program's
    status, before the init itself has exited; the orphaned init would otherwise be left to
    the host's pid 1, which may collect it late or never (a container whose pid 1 is the
    worker), and until then it counts against the slot's process limit."""
    return bool(libc().prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)


def _read_child_pid(info_fd: int, deadline: float) -> int | None:
    """The "child-pid" of bubblewrap's --info-fd report; None if bubblewrap ended (or the
    deadline passed) before writing it."""
    data = b""
    while b"}" not in data:
        ready, _, _ = select.select([info_fd], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(info_fd, 4096) if ready else b""
        if not chunk:
            return None
        data += chunk
    try:
        return int(json.loads(data[: data.index(b"}") + 1])["child-pid"])
    except (ValueError, KeyError, TypeError):
        return None


def _reap_init(pid: int, timeout: float = 5.0) -> resource.struct_rusage | None:
    """Reap the sandbox's init once it has exited; None when it is not our child (we are
    not a subreaper) or does not end in time."""
    deadline = time.monotonic() + timeout
    pause = 0.0001  # the init exits a moment after reporting; poll finely, then back off
    while True:
        try:
            reaped, _, usage = os.wait4(pid, os.WNOHANG)
        except ChildProcessError:
            return None
        if reaped == pid:
            return usage
        if time.monotonic() > deadline:
            return None
        time.sleep(pause)
        pause = min(pause * 2, 0.01)


@dataclass(frozen=True)
class _Proc:
    pid: int
    zombie: bool
    ppid: int


def _scan(uid: int) -> list[_Proc]:
    """Processes whose real, effective or saved uid is ``uid``, from /proc/*/status
    (/proc/<pid> itself shows root as the owner of processes that are not dumpable)."""
    found = []
    wanted = str(uid)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = _status_fields(Path(f"/proc/{entry.name}/status"))
        except OSError:
            continue  # it ended while we looked
        if wanted in fields.get("Uid", "").split()[:3]:
            found.append(_Proc(int(entry.name), fields.get("State", "").startswith("Z"),
                               int(fields.get("PPid", "0") or 0)))
    return found


def _status_fields(path: Path) -> dict[str, str]:
    fields = {}
    with path.open() as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("State", "PPid", "Uid"):
                fields[name] = value.strip()
                if len(fields) == 3:
                    break
    return fields


def uid_processes(uid: int, *, zombies: bool = True) -> list[int]:
    """Pids of the processes of ``uid`` (zombies too, unless ``zombies`` is False)."""
    return [proc.pid for proc in _scan(uid) if zombies or not proc.zombie]


def sweep_uid(uid: int, timeout: float = 5.0) -> int:
    """SIGKILL every process of ``uid`` until none is left, and reap those of its zombies
    that are our children (inits whose --info-fd report was lost); returns how many were
    killed. Call only when no run of that uid is still being waited for."""
    if uid == 0 or uid == os.getuid():
        raise ValueError(f"refusing to kill every process of uid {uid}")
    me, killed = os.getpid(), 0
    deadline = time.monotonic() + timeout
    while True:
        procs = _scan(uid)
        for proc in procs:
            if proc.zombie and proc.ppid == me:
                with contextlib.suppress(ChildProcessError, OSError):
                    os.waitpid(proc.pid, os.WNOHANG)
        # Other zombies hold nothing but their pid, and a signal cannot end them.
        live = [proc.pid for proc in procs if not proc.zombie]
        if not live or time.monotonic() > deadline:
            return killed
        for pid in live:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                killed += 1
        time.sleep(0.005)
