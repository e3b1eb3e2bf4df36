"""The ``aihub`` command: server verbs (demo, serve, worker, db, user, token, org), the
sandbox's verbs (sandbox check, runtimes list/build), and client verbs that talk to a hub
over its API (challenges, submit, submissions, leaderboard).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aihub.cli import (
    client_verbs,
    dataset_verbs,
    reference,
    sandbox_verbs,
    server_verbs,
    worker_verbs,
)
from aihub.cli.common import fail

app = typer.Typer(
    name="aihub",
    help="aihub: a city's AI hub. Run a hub, or take part in its challenges.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
server_verbs.register(app)
worker_verbs.register(app)
sandbox_verbs.register(app)
client_verbs.register(app)
dataset_verbs.register(app)


@app.command("docs")
def docs(
    folder: Annotated[Path, typer.Option(help="Where to write cli.md and settings.md.")] = Path(
        "docs"
    ),
) -> None:
    """Write the CLI and settings reference (docs/cli.md, docs/settings.md) from the code."""
    try:
        written = reference.write_docs(app, folder)
    except OSError as exc:
        fail(f"Cannot write the reference into {folder}: {exc.strerror or exc}. Name a "
             "folder you may write to with --folder.")
        return
    for path in written:
        typer.echo(f"wrote {path}")


def main() -> None:
    app()
