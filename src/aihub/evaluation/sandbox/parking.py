"""Parked launchers: a process waiting, already inside a fresh run cgroup, to launch a
slot's next run.

Moving a process into a cgroup waits for an RCU grace period (the kernel's
cgroup_threadgroup_rwsem): 4 to 15 ms on the test machine, the largest part of a run's
start-up. A launcher that joins its cgroups ahead of time, while the slot is busy or idle,
takes that wait off the run's path: when the run comes, the runner sends it the run's
rlimits, uid and bubblewrap command, and it sets them and execs bubblewrap, whose program
is born in the cgroups. It runs no code a participant controls before that exec, and it
exits by itself if the runner goes away (its go pipe reaches end-of-file).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Sequence

from aihub.evaluation.sandbox.cgroups import CgroupSupport, RunCgroup
from aihub.evaluation.sandbox.command import LAUNCHER_ENV

# Runs in a fresh, isolated Python (-I -S): join the cgroups, wait for the go message,
# set the rlimits, drop to the slot's uid and groups, exec bubblewrap.
_PARKED = """
import json, os, resource, sys
go = int(sys.argv[1])
for procs in sys.argv[2:]:
    with open(procs, "w") as f:
        f.write(str(os.getpid()))
data = b""
while chunk := os.read(go, 1 << 16):
    data += chunk
os.close(go)
if not data:
    sys.exit(125)
order = json.loads(data)
for name, (soft, hard) in order["rlimits"].items():
    resource.setrlimit(getattr(resource, name), (soft, hard))
if order["uid"] is not None:
    os.setgroups([])
    os.setresgid(order["gid"], order["gid"], order["gid"])
    os.setresuid(order["uid"], order["uid"], order["uid"])
os.execve(order["argv"][0], order["argv"], order["env"])
"""


class ParkedLauncher:
    def __init__(self, cgroups: CgroupSupport, label: str) -> None:
        self.cgroup = RunCgroup(cgroups, label=label)
        go_read, self._go = os.pipe()
        self.info_read, self.info_write = os.pipe()
        try:
            self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and script
                [sys.executable, "-I", "-S", "-c", _PARKED, str(go_read),
                 *map(str, self.cgroup.procs_files)],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=dict(LAUNCHER_ENV), start_new_session=True,
                pass_fds=(go_read, self.info_write),
            )
        except BaseException:
            for fd in (self._go, self.info_read):
                os.close(fd)
            self.cgroup.remove()
            raise
        finally:
            os.close(go_read)
            os.close(self.info_write)  # the number stays valid in the parked process

    def alive(self) -> bool:
        with contextlib.suppress(ChildProcessError):
            return os.waitid(os.P_PID, self.proc.pid,
                             os.WEXITED | os.WNOHANG | os.WNOWAIT) is None
        return False

    def go(self, argv: Sequence[str], *, uid: int | None, gid: int | None,
           rlimits: dict[str, tuple[int, int]], env: dict[str, str]) -> None:
        """Launch: the parked process becomes ``argv`` (bubblewrap). Raises OSError when
        it is gone; then ``discard`` it and launch another way."""
        order = json.dumps({"argv": list(argv), "uid": uid, "gid": gid,
                            "rlimits": rlimits, "env": env}).encode()
        try:
            view = memoryview(order)
            while view:
                view = view[os.write(self._go, view):]
        finally:
            os.close(self._go)
            self._go = -1

    def discard(self) -> None:
        """Kill an unused (or failed) parked launcher and remove its cgroups."""
        if self._go >= 0:
            os.close(self._go)
            self._go = -1
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        os.close(self.info_read)
        self.cgroup.remove()
