"""Verbs that run or administer a hub on this machine, working on its database directly."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn

from aihub import migrate
from aihub.accounts import services as accounts
from aihub.accounts.models import OrgRole
from aihub.cli.common import DataDirOption, console, fail, print_json, run_service, settings_for
from aihub.hub import Hub
from aihub.settings import Settings

db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
user_app = typer.Typer(help="People's accounts.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
org_app = typer.Typer(help="Organizations (the hosts).", no_args_is_help=True)


def _hub(data_dir: Path | None, *, workers: bool = False) -> Hub:
    settings = settings_for(data_dir)
    if not workers:
        settings = settings.model_copy(update={"workers_in_process": 0})
    return Hub(settings, start_workers=workers)


def _export_settings(data_dir: Path | None) -> None:
    # uvicorn's worker processes build their own Settings from the environment.
    if data_dir is not None:
        os.environ["AIHUB_DATA_DIR"] = str(data_dir.resolve())


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDirOption = None) -> None:
    """Bring the database schema up to date (safe to run at any time)."""
    hub = _hub(data_dir)
    migrate.upgrade(hub.db.engine)
    console.print(f"Database at {hub.db.engine.url.render_as_string()} is up to date.")


@db_app.command("current")
def db_current(data_dir: DataDirOption = None) -> None:
    """Print the schema revision the database is at."""
    hub = _hub(data_dir)
    console.print(migrate.current(hub.db.engine) or "empty (run 'aihub db upgrade')")


def _admin_hub(data_dir: Path | None) -> Hub:
    """A hub for commands that change accounts: its database must be up to date."""
    hub = _hub(data_dir)
    _check_schema(hub)
    return hub


def _check_schema(hub: Hub) -> None:
    if not migrate.is_current(hub.db.engine):
        fail("The database schema is not up to date: run 'aihub db upgrade' first.")


def server_options(settings: Settings) -> dict[str, Any]:
    """How uvicorn serves the hub, shared by ``serve`` and the tests that check it: which
    proxies' X-Forwarded-For to believe (log-in limits count the browser's address)."""
    return {
        "log_level": "info", "access_log": False, "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
    }


def serve_app(settings: Settings, host: str, port: int, workers: int) -> None:
    if workers > 1:
        uvicorn.run(
            "aihub.app:app_from_env", factory=True, host=host, port=port, workers=workers,
            **server_options(settings),
        )
    else:
        from aihub.app import create_app  # noqa: PLC0415 - the app is only built to serve

        uvicorn.run(create_app(settings), host=host, port=port, **server_options(settings))


def serve(
    data_dir: DataDirOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Web server processes.")] = 1,
) -> None:
    """Serve the web UI and API; evaluation workers run inside (AIHUB_WORKERS_IN_PROCESS)."""
    _export_settings(data_dir)
    settings = settings_for(data_dir)
    _check_schema(Hub(settings.model_copy(update={"workers_in_process": 0}),
                      start_workers=False))
    console.print(f"aihub serving on http://{host}:{port}/ (API docs: /api/v1/docs)")
    serve_app(settings, host, port, workers)


@user_app.command("create")
def user_create(
    username: str,
    email: Annotated[str, typer.Option(help="The person's e-mail address.")],
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                          envvar="AIHUB_NEW_PASSWORD", help="At least 8 characters.")
    ],
    curator: Annotated[bool, typer.Option(help="Make the user a hub curator.")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Create a user account."""
    hub = _admin_hub(data_dir)

    def create() -> None:
        with hub.db.transaction() as session:
            accounts.create_user(session, username=username, email=email, password=password,
                                 is_curator=curator)

    run_service(create)
    console.print(f"Created user {username}{' (curator)' if curator else ''}.")


@token_app.command("create")
def token_create(
    username: str,
    name: Annotated[str, typer.Option(help="A name to tell the token apart.")] = "cli",
    data_dir: DataDirOption = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create an API token for a user and print it (it is shown only this once)."""
    hub = _admin_hub(data_dir)

    def create() -> str:
        with hub.db.transaction() as session:
            user = accounts.get_user(session, username)
            _, plain = accounts.create_token(session, user, name=name)
            return plain

    plain = run_service(create)
    if as_json:
        print_json({"username": username, "token": plain})
    else:
        typer.echo(plain)


@org_app.command("create")
def org_create(
    slug: str,
    name_ko: Annotated[str, typer.Option(help="Korean name.")],
    name_en: Annotated[str, typer.Option(help="English name.")] = "",
    can_host: Annotated[bool, typer.Option(help="Allow it to host challenges.")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Create an organization."""
    hub = _admin_hub(data_dir)

    def create() -> None:
        with hub.db.transaction() as session:
            accounts.create_organization(session, slug=slug, name_ko=name_ko,
                                         name_en=name_en, can_host=can_host)

    run_service(create)
    console.print(f"Created organization {slug}.")


@org_app.command("add-member")
def org_add_member(
    slug: str,
    username: str,
    owner: Annotated[bool, typer.Option(help="Make the member an owner.")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Add a user to an organization, making them a host of its challenges."""
    hub = _admin_hub(data_dir)

    def add() -> None:
        with hub.db.transaction() as session:
            org = accounts.get_organization(session, slug)
            user = accounts.get_user(session, username)
            accounts.add_member(session, org, user,
                                role=OrgRole.OWNER if owner else OrgRole.MEMBER)

    run_service(add)
    console.print(f"{username} is now a member of {slug}.")


def register(app: typer.Typer) -> None:
    from aihub.cli.demo import demo  # noqa: PLC0415 - demo pulls in the data generators

    app.command()(demo)
    app.command()(serve)
    app.add_typer(db_app, name="db")
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
    app.add_typer(org_app, name="org")
