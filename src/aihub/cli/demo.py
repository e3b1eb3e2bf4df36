"""``aihub demo``: a working hub in one command, seeded with the cities' own problems."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aihub import migrate, seed
from aihub.cli.common import console
from aihub.cli.server_verbs import serve_app
from aihub.demo.catalog import seed_catalog
from aihub.hub import Hub
from aihub.settings import Settings


def demo(
    data_dir: Annotated[
        Path, typer.Option("--data-dir", envvar="AIHUB_DATA_DIR", help="Folder for the demo.")
    ] = Path("aihub-data"),
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    serve: Annotated[bool, typer.Option(help="Serve after seeding.")] = True,
) -> None:
    """Create (or reuse) a demo hub in DATA_DIR and serve it on 127.0.0.1."""
    settings = Settings(data_dir=data_dir)
    setup = Hub(settings.model_copy(update={"workers_in_process": 0}), start_workers=False)
    migrate.upgrade(setup.db.engine)
    if seed.is_seeded(setup):
        console.print(f"Reusing the demo hub in {data_dir}.")
    else:
        console.print(f"Seeding a demo hub in {data_dir} …")
        seed.seed_people(setup)
    # Always: it adds only what is missing, so a seeding cut short is finished here.
    seed.seed_challenges(setup)
    seed_catalog(setup)
    setup.close()
    member_token, host_token = seed.read_tokens(data_dir)
    url = f"http://{host}:{port}"
    console.print(
        f"\naihub demo at {url}\n"
        f"  demo member token: {member_token}   (also in {data_dir / 'demo-token'})\n"
        f"  host token:        {host_token}   (also in {data_dir / 'host-token'})\n"
        f"  passwords:         {data_dir / 'demo-credentials.txt'}\n\n"
        f"Open {url} in a browser and log in as demo, host or curator (passwords above),\n"
        "or try the command line in another terminal:\n"
        f"  export AIHUB_URL={url} AIHUB_TOKEN=$(cat {data_dir / 'demo-token'})\n"
        "  aihub challenges list\n"
        "  aihub challenges join elderly-care-power --yes\n"
        "  aihub challenges download elderly-care-power\n"
        "  aihub submit elderly-care-power elderly-care-power/sample_submission.csv --wait\n"
        "  aihub leaderboard elderly-care-power\n",
        highlight=False,
    )
    if serve:
        serve_app(settings, host, port, workers=1)
