"""Runtimes: the Python environments a worker offers to sandboxed programs.

A runtime is a virtual environment made from a system Python under /usr (the only host
folder the sandbox shows besides the runtime itself), with a fixed set of packages, since
sandboxed programs have no network to install more. Each lives in its own folder under the
worker's runtimes folder with an ``aihub-runtime.json`` manifest, written last, so a folder
without one is an unfinished build. A Codabench bundle's docker_image maps to one of them;
"default" carries the scientific stack of Codabench's default images.
"""

from __future__ import annotations

import fcntl
import json
import re
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from aihub.evaluation.sandbox.errors import RuntimeUnavailable, SandboxError, UnreachablePath
from aihub.evaluation.sandbox.paths import check_world_reachable

MANIFEST = "aihub-runtime.json"
DEFAULT_RUNTIME = "default"
# The stack of Codabench's default images, so that common bundles run unchanged.
DEFAULT_PACKAGES = ("numpy", "pandas", "scipy", "scikit-learn", "matplotlib")
MIN_PYTHON = (3, 11)
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_FREEZE = (
    "import importlib.metadata as m, json, platform; print(json.dumps({'python': "
    "platform.python_version(), 'packages': {d.metadata['Name']: d.version "
    "for d in m.distributions()}}))"
)


@dataclass(frozen=True)
class Runtime:
    name: str
    root: Path
    python: Path
    packages: dict[str, str] = field(default_factory=dict)  # name -> version, as installed
    python_version: str = ""
    requested: tuple[str, ...] = ()
    built_at: str = ""

    @property
    def bin_dir(self) -> Path:
        return self.root / "bin"

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name, "python": str(self.python),
            "python_version": self.python_version, "packages": self.packages,
            "requested": list(self.requested), "built_at": self.built_at,
        }


def load_runtime(folder: Path) -> Runtime | None:
    """The runtime in ``folder``, or None when it has no readable manifest."""
    try:
        data = json.loads((folder / MANIFEST).read_text())
        python = folder / "bin" / "python3"
        if not python.exists():
            return None
        return Runtime(
            name=str(data["name"]), root=folder, python=python,
            packages={str(k): str(v) for k, v in dict(data.get("packages", {})).items()},
            python_version=str(data.get("python_version", "")),
            requested=tuple(str(p) for p in data.get("requested", [])),
            built_at=str(data.get("built_at", "")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def discover_runtimes(runtimes_dir: Path) -> dict[str, Runtime]:
    """Every complete runtime under ``runtimes_dir``, by name."""
    found: dict[str, Runtime] = {}
    if runtimes_dir.is_dir():
        for folder in sorted(runtimes_dir.iterdir()):
            runtime = load_runtime(folder) if folder.is_dir() else None
            if runtime is not None:
                found[runtime.name] = runtime
    return found


def get_runtime(runtimes_dir: Path, name: str) -> Runtime:
    runtime = load_runtime(runtimes_dir / name)
    if runtime is None:
        have = ", ".join(discover_runtimes(runtimes_dir)) or "none"
        raise RuntimeUnavailable(
            f"This worker has no runtime {name!r} in {runtimes_dir} (it has: {have}). "
            f"Build it with 'aihub runtimes build {name}'."
        )
    return runtime


def find_base_python() -> Path:
    """The newest /usr/bin/python3.N (N >= 11) that slot uids can run."""
    tried = []
    for minor in range(20, MIN_PYTHON[1] - 1, -1):
        candidate = Path(f"/usr/bin/python3.{minor}")
        if candidate.exists():
            tried.append(str(candidate))
            try:
                return check_base_python(candidate)
            except SandboxError:
                continue
    raise RuntimeUnavailable(
        f"No Python >= {MIN_PYTHON[0]}.{MIN_PYTHON[1]} under /usr that sandbox uids can run "
        f"was found (tried: {', '.join(tried) or 'none'}). A Python under /root or a "
        f"pyenv folder is not reachable by them. Install Debian's: apt-get install python3 "
        f"python3-venv."
    )


def check_base_python(python: Path) -> Path:
    real = python.resolve()
    if not real.is_relative_to("/usr"):
        raise RuntimeUnavailable(
            f"{python} is {real}, outside /usr: sandboxed programs see only /usr of the host, "
            f"so a runtime must be made from a Python under /usr (e.g. /usr/bin/python3)."
        )
    try:
        check_world_reachable(real)
    except UnreachablePath as exc:
        raise RuntimeUnavailable(str(exc)) from exc
    return real


def build_runtime(runtimes_dir: Path, name: str = DEFAULT_RUNTIME,
                  packages: Sequence[str] | None = None, base_python: Path | None = None,
                  ) -> Runtime:
    """Make runtime ``name`` under ``runtimes_dir`` with ``packages`` (default: the
    default stack for "default", none otherwise). Does nothing when it is already built
    with the same packages; another process building it at the same time is waited for."""
    if not _NAME.match(name):
        raise SandboxError(f"Runtime name {name!r} must be lower-case letters, digits, '.', "
                           f"'_' or '-' (e.g. default, sklearn-1.5).")
    wanted = tuple(packages if packages is not None else
                   DEFAULT_PACKAGES if name == DEFAULT_RUNTIME else ())
    _prepare_dir(runtimes_dir)
    with _locked(runtimes_dir / f".{name}.lock"):
        existing = load_runtime(runtimes_dir / name)
        if existing is not None:
            if sorted(existing.requested) != sorted(wanted):
                raise SandboxError(
                    f"Runtime {name!r} exists with packages {list(existing.requested)}, not "
                    f"{list(wanted)}: choose another name, or remove {existing.root} first."
                )
            return existing
        base = check_base_python(base_python) if base_python else find_base_python()
        return _build(runtimes_dir / name, name, wanted, base)


def _prepare_dir(runtimes_dir: Path) -> None:
    if not runtimes_dir.exists():
        runtimes_dir.mkdir(parents=True)
        runtimes_dir.chmod(0o755)
    try:
        check_world_reachable(runtimes_dir, enter_only=True)
    except UnreachablePath as exc:
        raise RuntimeUnavailable(f"Runtimes must be reachable by sandbox uids. {exc}") from exc


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build(folder: Path, name: str, packages: tuple[str, ...], base: Path) -> Runtime:
    if folder.exists():
        shutil.rmtree(folder)  # an unfinished build: no manifest
    venv = [str(base), "-m", "venv", *([] if packages else ["--without-pip"]), str(folder)]
    _run(venv, f"making the virtual environment {folder}")
    python = folder / "bin" / "python3"
    if packages:
        _run([str(python), "-m", "pip", "install", "--no-input", "--progress-bar", "off",
              *packages], f"installing {', '.join(packages)} into runtime {name!r}")
    frozen = json.loads(_run([str(python), "-c", _FREEZE], "listing the installed packages"))
    runtime = Runtime(
        name=name, root=folder, python=python, packages=dict(sorted(
            frozen["packages"].items(), key=lambda item: str(item[0]).lower())),
        python_version=frozen["python"], requested=packages,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    partial = folder / f"{MANIFEST}.partial"
    partial.write_text(json.dumps(runtime.to_json(), indent=2) + "\n")
    partial.chmod(0o644)
    partial.replace(folder / MANIFEST)
    return runtime


def _run(argv: list[str], doing: str) -> str:
    # umask 022: slot uids must read every file of the runtime.
    done = subprocess.run(argv, capture_output=True, text=True, umask=0o022,  # noqa: S603
                          check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-15:]
        raise RuntimeUnavailable(f"Failed {doing} (exit {done.returncode}):\n" + "\n".join(tail))
    return done.stdout
