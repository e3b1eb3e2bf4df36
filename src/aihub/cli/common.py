"""Options and output helpers shared by the CLI's verbs."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from aihub.cli.client import DEFAULT_URL, Client, ClientError
from aihub.errors import AihubError
from aihub.settings import Settings

# Markup off: what the CLI prints holds what people typed (titles, team and file names, the
# hub's messages), and Rich would read a '[/x]' in it as a tag and stop with an error.
# Styled parts are built as Text instead.
console = Console(markup=False)
err_console = Console(stderr=True, markup=False)

UrlOption = Annotated[
    str, typer.Option("--url", envvar="AIHUB_URL", help="The hub's address.")
]
TokenOption = Annotated[
    str | None,
    typer.Option("--token", envvar="AIHUB_TOKEN", help="Your API token ('aihub token create')."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


class Lang(StrEnum):
    """The languages of the hub's texts (a choice: anything else is refused)."""

    ko = "ko"
    en = "en"


LangOption = Annotated[Lang, typer.Option("--lang", help="Language of texts.")]


def in_lang(text: dict[str, str], lang: Lang) -> str:
    """A text of the hub's in ``lang``, or in Korean where it has no such version."""
    return text.get(lang.value) or text.get("ko") or ""

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", envvar="AIHUB_DATA_DIR", help="The hub's data folder (database, files)."
    ),
]

DEFAULT = DEFAULT_URL


def fail(message: str) -> None:
    err_console.print(Text.assemble(("Error:", "bold red"), " ", message), highlight=False)
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
