"""Options and output helpers shared by the CLI's verbs."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from aihub.cli.client import DEFAULT_URL, Client, ClientError
from aihub.errors import AihubError
from aihub.settings import Settings

console = Console()
err_console = Console(stderr=True)

UrlOption = Annotated[
    str, typer.Option("--url", envvar="AIHUB_URL", help="The hub's address.")
]
TokenOption = Annotated[
    str | None,
    typer.Option("--token", envvar="AIHUB_TOKEN", help="Your API token ('aihub token create')."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", envvar="AIHUB_DATA_DIR", help="The hub's data folder (database, files)."
    ),
]

DEFAULT = DEFAULT_URL


def fail(message: str) -> None:
    err_console.print(f"[bold red]Error:[/] {message}", highlight=False)
    raise typer.Exit(1)


@contextmanager
def client(url: str, token: str | None) -> Iterator[Client]:
    api = Client(url, token)
    try:
        yield api
    except ClientError as exc:
        fail(str(exc))
    finally:
        api.close()


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def settings_for(data_dir: Path | None, **overrides: Any) -> Settings:
    values = dict(overrides)
    if data_dir is not None:
        values["data_dir"] = data_dir
    try:
        return Settings(**values)
    except ValueError as exc:
        fail(f"Invalid settings: {exc}")
        raise  # unreachable: fail() exits


def run_service(action: Callable[[], Any]) -> Any:
    """Run a service call for a server verb, turning user errors into a clear message."""
    try:
        return action()
    except AihubError as exc:
        fail(exc.detail)
