"""The command line of one sandboxed run (sandbox.md §4.1), built in one place:

    setpriv --reuid U --regid U --clear-groups --    (the slot's uid, with no groups)
    prlimit --nproc --cpu --fsize --nofile --core [--as] --
    bwrap --info-fd I --block-fd B --unshare-all --disable-userns --die-with-parent
          --new-session --cap-drop ALL
          --ro-bind /usr /usr (+ lib, lib64, bin, sbin symlinks) --proc /proc --dev /dev
          --size N --tmpfs /tmp   --ro-bind RUNTIME RUNTIME   --ro-bind SRC DST ...
          --bind AREA TARGET ...  --chdir DIR --clearenv --setenv ... -- ARGV

Each step execs the next, so the process the runner starts becomes bubblewrap. Where
cgroups are used, bubblewrap's first sandbox process waits on --block-fd, its namespaces
made, while the runner moves it into the run's cgroups (its pid comes from --info-fd); the
program it then forks is born in them.
"""

from __future__ import annotations

import itertools
import shlex
from collections.abc import Mapping, Sequence

from aihub.evaluation.sandbox.areas import WritableArea
from aihub.evaluation.sandbox.errors import SandboxError
from aihub.evaluation.sandbox.limits import Limits
from aihub.evaluation.sandbox.paths import Mount
from aihub.evaluation.sandbox.runtimes import Runtime
from aihub.evaluation.sandbox.slots import Slot

WORKSPACE = "/tmp"  # noqa: S108 - a private tmpfs inside the sandbox, not the host's /tmp
HOSTNAME = "aihub-sandbox"
# The runner's own environment for the launcher: nothing of the worker's is passed on.
LAUNCHER_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}


def sandbox_env(runtime: Runtime | None, env: Mapping[str, str] | None) -> dict[str, str]:
    """The whole environment of the program: the caller's values over these defaults."""
    path = "/usr/bin:/bin" if runtime is None else f"{runtime.bin_dir}:/usr/bin:/bin"
    values = {
        "PATH": path, "HOME": WORKSPACE, "TMPDIR": WORKSPACE, "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1",
    }
    for name, value in (env or {}).items():
        if not name or "=" in name or "\0" in name or "\0" in value:
            raise SandboxError(f"Environment variable {name!r} has a name or value that "
                               f"cannot be passed (empty, '=' or NUL).")
        values[name] = value
    return values


def bwrap_args(bwrap: str, *, runtime: Runtime | None, mounts: Sequence[Mount],
               areas: Sequence[WritableArea], workdir: str, env: Mapping[str, str],
               workspace_bytes: int, info_fd: int | None = None,
               block_fd: int | None = None) -> list[str]:
    args = [
        bwrap, *(["--info-fd", str(info_fd)] if info_fd is not None else []),
        *(["--block-fd", str(block_fd)] if block_fd is not None else []),
        "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
        "--new-session", "--cap-drop", "ALL", "--hostname", HOSTNAME,
        "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib",
        "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin",
        "--symlink", "usr/sbin", "/sbin", "--proc", "/proc", "--dev", "/dev",
        "--size", str(workspace_bytes), "--tmpfs", WORKSPACE,
    ]
    if runtime is not None:
        args += ["--ro-bind", str(runtime.root), str(runtime.root)]
    for mount in mounts:
        args += ["--ro-bind", str(mount.source), mount.target]
    for area in areas:
        args += ["--bind", str(area.path), area.target]
    args += ["--chdir", workdir, "--clearenv"]
    for name, value in env.items():
        args += ["--setenv", name, value]
    return [*args, "--"]


def rlimits(limits: Limits, *, nproc: int, address_space: bool) -> dict[str, tuple[int, int]]:
    """The rlimits of a run, by ``resource`` name: (soft, hard). CPU: soft at the limit
    (SIGXCPU, reported as CPU_LIMIT), hard a second later (SIGKILL) for a program that
    ignores SIGXCPU. Address space only where no memory cgroup is writable: it breaks
    CUDA, which reserves large virtual ranges."""
    values = {
        "RLIMIT_NPROC": (nproc, nproc),
        "RLIMIT_CPU": (limits.cpu_seconds, limits.cpu_seconds + 1),
        "RLIMIT_FSIZE": (limits.file_size_bytes, limits.file_size_bytes),
        "RLIMIT_NOFILE": (limits.open_files, limits.open_files),
        "RLIMIT_CORE": (0, 0),
    }
    if address_space:
        values["RLIMIT_AS"] = (limits.memory_bytes, limits.memory_bytes)
    return values


_PRLIMIT_OPTIONS = {"RLIMIT_NPROC": "nproc", "RLIMIT_CPU": "cpu", "RLIMIT_FSIZE": "fsize",
                    "RLIMIT_NOFILE": "nofile", "RLIMIT_CORE": "core", "RLIMIT_AS": "as"}


def rlimit_args(values: dict[str, tuple[int, int]]) -> list[str]:
    """The same rlimits as prlimit's options."""
    return ["/usr/bin/prlimit",
            *(f"--{_PRLIMIT_OPTIONS[name]}={soft}:{hard}" for name, (soft, hard) in
              values.items()), "--"]


def launcher_args(*, slot: Slot, per_slot_uids: bool, rlimits: Sequence[str]) -> list[str]:
    args: list[str] = []
    if per_slot_uids:
        args += ["/usr/bin/setpriv", f"--reuid={slot.uid}", f"--regid={slot.gid}",
                 "--clear-groups", "--"]
    return [*args, *rlimits]


def check_layout(targets: Sequence[str]) -> None:
    """Mount targets (including the runtime's folder) may not repeat or nest: a bind
    inside a read-only bind cannot get its mount point made."""
    ordered = sorted(targets)
    for first, second in itertools.pairwise(ordered):
        if first == second or second.startswith(first.rstrip("/") + "/"):
            raise SandboxError(f"Sandbox paths {first} and {second} overlap; give each mount "
                               f"its own folder (e.g. /app/input and /app/output).")


def describe(argv: Sequence[str]) -> str:
    """The command line as a shell would show it (logs and docs)."""
    return shlex.join(argv)
