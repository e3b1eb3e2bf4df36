"""The command line of one sandboxed run (sandbox.md §4.1), built in one place:

    setpriv --reuid U --regid U --clear-groups --    (the slot's uid, with no groups)
    prlimit --nproc --cpu --fsize --nofile --core [--as] --
    bwrap --info-fd I --block-fd B --unshare-all --disable-userns --die-with-parent
          --new-session --cap-drop ALL
          --ro-bind /usr /usr (+ lib, lib64, bin, sbin symlinks) --proc /proc --dev /dev
          --size N --tmpfs /tmp   --ro-bind RUNTIME RUNTIME   --ro-bind SRC DST ...
          --bind AREA TARGET ...  --chdir DIR --clearenv --setenv ... -- ARGV

Where user namespaces are not allowed, a root worker may run the reduced, privileged form
(``privileged=True``): bubblewrap itself runs as root and makes every namespace but the
user one, keeping only the capabilities to change uid, and the program's uid, groups,
capabilities and rlimits are dropped inside, just before it starts:

    bwrap --unshare-ipc --unshare-pid --unshare-net --unshare-uts --unshare-cgroup-try
          --cap-drop ALL --cap-add CAP_SETUID --cap-add CAP_SETGID --cap-add CAP_SETPCAP ...
          -- setpriv --reuid U --regid U --clear-groups --inh-caps=-all --bounding-set=-all
             --no-new-privs -- prlimit ... -- ARGV

Each step execs the next, so the process the runner starts becomes bubblewrap. Where
cgroups are used, bubblewrap's first sandbox process waits on --block-fd, its namespaces
made, while the runner moves it into the run's cgroups (its pid comes from --info-fd); the
program it then forks is born in them.
"""

from __future__ import annotations

import itertools
import shlex
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath

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


# Unprivileged: a user namespace, and no way for the program to make another.
_NAMESPACES = ["--unshare-all", "--unshare-user", "--disable-userns", "--cap-drop", "ALL"]
# Privileged (reduced isolation): every namespace but the user one; bubblewrap's child keeps
# only what the uid drop inside needs (setpriv), and setpriv drops those too.
_PRIVILEGED_NAMESPACES = [
    "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
    "--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
    "--cap-add", "CAP_SETPCAP",
]


def bwrap_args(bwrap: str, *, runtime: Runtime | None, mounts: Sequence[Mount],
               areas: Sequence[WritableArea], workdir: str, env: Mapping[str, str],
               workspace_bytes: int, info_fd: int | None = None,
               block_fd: int | None = None, privileged: bool = False) -> list[str]:
    args = [
        bwrap, *(["--info-fd", str(info_fd)] if info_fd is not None else []),
        *(["--block-fd", str(block_fd)] if block_fd is not None else []),
        *(_PRIVILEGED_NAMESPACES if privileged else _NAMESPACES),
        "--die-with-parent", "--new-session", "--hostname", HOSTNAME,
        "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib",
        "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin",
        "--symlink", "usr/sbin", "/sbin", "--proc", "/proc", "--dev", "/dev",
        # 1777, like a host's /tmp: in the privileged form bubblewrap makes it as root.
        "--perms", "1777", "--size", str(workspace_bytes), "--tmpfs", WORKSPACE,
        # Shared memory (multiprocessing's semaphores, joblib) in its own capped tmpfs.
        "--perms", "1777", "--size", str(workspace_bytes), "--tmpfs", "/dev/shm",  # noqa: S108 - inside the sandbox
    ]
    targets = [*([str(runtime.root)] if runtime else []), *(m.target for m in mounts),
               *(a.target for a in areas)]
    for folder in _parents(targets):
        # Made readable by all: bubblewrap as root would make them 0700, out of the
        # program's reach, and a runtime behind one would be silently unusable.
        args += ["--perms", "0755", "--dir", folder]
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


def _parents(targets: Sequence[str]) -> list[str]:
    """The folders above the mount targets, parents first (``/var``, ``/var/tmp``, ...)."""
    found = {str(parent) for target in targets for parent in PurePosixPath(target).parents}
    return sorted(found - {"/", WORKSPACE}, key=lambda folder: (folder.count("/"), folder))


def drop_inside_args(slot: Slot, rlimits: dict[str, tuple[int, int]]) -> list[str]:
    """The privileged form's last steps inside the sandbox: the slot's uid with no groups,
    capabilities or way to regain them, then the run's rlimits (inherited by the program)."""
    return ["/usr/bin/setpriv", f"--reuid={slot.uid}", f"--regid={slot.gid}",
            "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs",
            "--", *rlimit_args(rlimits)]


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


def launcher_args(*, uid: int | None, gid: int | None,
                  rlimits: dict[str, tuple[int, int]]) -> list[str]:
    """What runs before bubblewrap, outside: the uid change (None: keep the worker's) and
    the rlimits (none: they are set inside, as in the privileged form)."""
    args: list[str] = []
    if uid is not None and gid is not None:
        args += ["/usr/bin/setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--"]
    return [*args, *(rlimit_args(rlimits) if rlimits else [])]


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
