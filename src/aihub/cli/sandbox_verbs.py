"""Verbs for the sandbox on this machine: check what it can do, and list or build the
runtimes (Python environments) sandboxed programs run in."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from aihub.cli.common import DataDirOption, JsonOption, console, fail, print_json, settings_for
from aihub.evaluation.sandbox import (
    DEFAULT_FIRST_UID,
    DEFAULT_JOB_BASE,
    DEFAULT_PACKAGES,
    DEFAULT_RUNTIME,
    SandboxError,
    build_runtime,
    discover_runtimes,
    probe_sandbox,
)

sandbox_app = typer.Typer(help="The sandbox that runs participants' and hosts' code.",
                          no_args_is_help=True)
runtimes_app = typer.Typer(help="Python runtimes that sandboxed programs run in.",
                           no_args_is_help=True)

RuntimesDirOption = Annotated[
    Path | None,
    typer.Option("--runtimes-dir", envvar="AIHUB_RUNTIMES_DIR",
                 help="Folder of the runtimes; empty means DATA_DIR/runtimes."),
]


def runtimes_folder(runtimes_dir: Path | None, data_dir: Path | None) -> Path:
    """Where this worker's runtimes live: the option (or AIHUB_RUNTIMES_DIR), else
    DATA_DIR/runtimes."""
    if runtimes_dir is not None:
        return runtimes_dir.absolute()
    return (settings_for(data_dir).data_dir / "runtimes").absolute()


@sandbox_app.command("check")
def check(
    first_uid: Annotated[int, typer.Option(help="uid of the first sandbox slot.")] =
    DEFAULT_FIRST_UID,
    work_dir: Annotated[Path, typer.Option(help="Folder for the sandbox's job files.")] =
    DEFAULT_JOB_BASE,
    as_json: JsonOption = False,
) -> None:
    """Try each part of the sandbox here; exit status 1 when code cannot be sandboxed."""
    report = probe_sandbox(first_uid=first_uid, work_dir=work_dir)
    if as_json:
        print_json({
            "usable": report.usable, "bwrap": report.bwrap,
            "bwrap_version": report.bwrap_version, "namespaces": report.namespaces,
            "privileged_namespaces": report.privileged,
            "isolation": report.isolation.value if report.isolation else None,
            "per_slot_uids": report.per_slot_uids, "host_tmpfs": report.host_tmpfs,
            "cgroups": report.cgroups.describe(), "problems": list(report.problems),
        })
    else:
        for line in report.lines():
            console.print(line, highlight=False, soft_wrap=True)
    if not report.usable:
        raise typer.Exit(1)


@runtimes_app.command("list")
def runtimes_list(
    runtimes_dir: RuntimesDirOption = None, data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the runtimes this worker has."""
    folder = runtimes_folder(runtimes_dir, data_dir)
    runtimes = discover_runtimes(folder)
    if as_json:
        print_json([runtime.to_json() for runtime in runtimes.values()])
        return
    if not runtimes:
        console.print(f"No runtimes in {folder}: build one with 'aihub runtimes build'.")
        return
    table = Table("name", "python", "packages", "built")
    for runtime in runtimes.values():
        wanted = ", ".join(f"{name} {runtime.packages.get(name, '?')}"
                           for name in runtime.requested) or "(none)"
        table.add_row(runtime.name, runtime.python_version, wanted, runtime.built_at)
    console.print(table)


@runtimes_app.command("build")
def runtimes_build(
    name: Annotated[str, typer.Argument(help="The runtime's name.")] = DEFAULT_RUNTIME,
    package: Annotated[
        list[str] | None,
        typer.Option("--package", "-p", help="A package to install (pip syntax); repeat it. "
                     f"Default for '{DEFAULT_RUNTIME}': {', '.join(DEFAULT_PACKAGES)}."),
    ] = None,
    python: Annotated[
        Path | None, typer.Option(help="Base Python under /usr; default the newest found.")
    ] = None,
    runtimes_dir: RuntimesDirOption = None, data_dir: DataDirOption = None,
) -> None:
    """Build a runtime (a virtual environment with fixed packages); nothing to do when it
    is already built with the same packages."""
    folder = runtimes_folder(runtimes_dir, data_dir)
    console.print(f"Building runtime {name} in {folder} (this downloads its packages)...")
    try:
        runtime = build_runtime(folder, name, packages=package or None, base_python=python)
    except SandboxError as exc:
        fail(exc.detail)
        return
    console.print(f"Runtime {runtime.name}: Python {runtime.python_version}, "
                  f"{len(runtime.packages)} packages, at {runtime.root}.", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(sandbox_app, name="sandbox")
    app.add_typer(runtimes_app, name="runtimes")
