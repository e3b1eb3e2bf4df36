"""Evaluation workers (on the hub's database, fed by Celery, or pulling over HTTPS) and the
runner tokens that let an organizer's machine pull jobs."""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from aihub import migrate
from aihub.accounts import services as accounts
from aihub.cli.common import DataDirOption, console, fail, print_json, run_service, settings_for
from aihub.evaluation import runners as runner_services
from aihub.evaluation.execute import KindRunner
from aihub.evaluation.executors import CeleryExecutor
from aihub.evaluation.plans import TaskKind
from aihub.evaluation.remote import DEFAULT_CACHE_BYTES, HubClient, RemoteWorker
from aihub.evaluation.worker import Worker, reap, worker_name
from aihub.hub import Hub, sandbox_runners
from aihub.settings import Settings

runners_app = typer.Typer(
    help="Runner tokens: organizers' machines that pull jobs over HTTPS.", no_args_is_help=True
)


def worker_hub(data_dir: Path | None) -> Hub:
    """The hub's parts for a worker process: its database must be up to date."""
    settings = settings_for(data_dir).model_copy(update={"workers_in_process": 0})
    hub = Hub(settings, start_workers=False)
    if not migrate.is_current(hub.db.engine):
        fail("The database schema is not up to date: run 'aihub db upgrade' first.")
    return hub


@contextmanager
def admin_hub(data_dir: Path | None) -> Iterator[Hub]:
    """A worker hub for one command, closed after it."""
    hub = worker_hub(data_dir)
    try:
        yield hub
    finally:
        hub.close()


def _stop_on_signals() -> threading.Event:
    """An event set by the first SIGINT or SIGTERM: the worker takes no more jobs, and
    finishes and writes the one it runs. A second signal stops the process at once (the
    job's lease then runs out and another worker runs it)."""
    stop = threading.Event()

    def handle(signum: int, _frame: object) -> None:
        if stop.is_set():
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        console.print("Stopping after the current job (signal again to stop at once).")
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handle)
    return stop


def _queue_list(queues: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    if queues is None:
        return default
    try:
        return runner_services.parse_queues(queues.split(","))
    except Exception as exc:  # InvalidInput, said plainly
        fail(str(exc))
        raise


def _celery_dispatch(hub: Hub) -> None:
    """On a hub whose jobs go through Celery, make ``hub.executor`` publish: the jobs this
    process puts back in the queue need a message, the ones that named them are gone."""
    if hub.settings.executor != "celery":
        return
    try:
        hub.executor = CeleryExecutor(hub.db, hub.settings.celery_broker_url)
    except ImportError:
        fail("This hub's EXECUTOR is celery, but Celery is not installed: "
             "pip install 'aihub[celery]'.")


def run_local(hub: Hub, queues: tuple[str, ...], *, once: bool) -> None:
    """Take jobs from the table until stopped (or, ``once``, until none is left)."""
    settings = hub.settings
    _celery_dispatch(hub)
    runner = Worker(
        hub.db, hub.evaluator, lease_seconds=settings.job_lease_seconds,
        poll_seconds=settings.worker_poll_seconds, queues=queues, name=worker_name("worker"),
        requeued=hub.executor.dispatch,
    )
    if once:
        reap(hub.db, requeued=hub.executor.dispatch)
        count = 0
        while runner.run_once():
            count += 1
        console.print(f"Ran {count} job(s).")
        return
    stop = _stop_on_signals()
    console.print(f"Worker {runner.name} waiting for jobs on {', '.join(runner.queues)}.")
    runner.run_forever(stop)


def run_celery(hub: Hub, queues: tuple[str, ...], *, sweep_seconds: float,
               broker_url: str | None = None) -> None:
    """Consume the queues' Celery messages (at ``broker_url``, else the hub's
    CELERY_BROKER_URL), sweeping the table for jobs they missed."""
    try:
        from aihub.evaluation.celery_app import CeleryWorker, make_celery  # noqa: PLC0415
    except ImportError:
        fail("Celery is not installed: pip install 'aihub[celery]'.")
        raise
    settings = hub.settings
    broker_url = broker_url or settings.celery_broker_url
    name = worker_name("celery")
    runner = Worker(
        hub.db, hub.evaluator, lease_seconds=settings.job_lease_seconds,
        poll_seconds=settings.worker_poll_seconds, queues=queues, name=name,
    )
    worker = CeleryWorker(runner, make_celery(broker_url), sweep_seconds=sweep_seconds,
                          sweep_min_age=2 * sweep_seconds)
    where = broker_url.rsplit("@", maxsplit=1)[-1]  # never print the broker's password
    console.print(f"Celery worker {name} on {', '.join(queues)} (broker {where}).")
    worker.run(hostname=f"aihub-{os.getpid()}@%h")


def run_remote(
    url: str,
    token: str,
    queues: tuple[str, ...],
    *,
    cache_dir: Path,
    settings: Settings,
    runners: dict[TaskKind, KindRunner] | None = None,
    wait_seconds: float = 25.0,
    cache_max_bytes: int = DEFAULT_CACHE_BYTES,
) -> None:
    """Pull jobs from the hub at ``url`` until stopped."""
    client = HubClient(url, token, wait_seconds=wait_seconds)
    worker = RemoteWorker(
        client, cache_dir, queues=queues, max_bytes=settings.max_upload_bytes,
        runners=sandbox_runners(settings)[1] if runners is None else runners,
        truth_cache_size=settings.truth_cache_size, cache_max_bytes=cache_max_bytes,
    )
    stop = _stop_on_signals()
    console.print(f"Runner pulling jobs from {url} (cache {cache_dir}).")
    try:
        worker.run_forever(stop)
    finally:
        client.close()


def worker(
    data_dir: DataDirOption = None,
    queues: Annotated[
        str | None,
        typer.Option(help="Comma-separated queues to take jobs from (default: the "
                     "WORKER_QUEUES setting; with --remote, all of the token's queues)."),
    ] = None,
    once: Annotated[bool, typer.Option(help="Run queued jobs until none is left, then stop.")] =
    False,
    celery: Annotated[
        bool, typer.Option("--celery", help="Take jobs from Celery messages (RabbitMQ).")
    ] = False,
    broker: Annotated[
        str | None, typer.Option(help="Celery broker URL (default: the CELERY_BROKER_URL "
                                 "setting).")
    ] = None,
    sweep_seconds: Annotated[
        float, typer.Option(min=0.1, help="With --celery: how often to look in the table for "
                            "jobs whose message was lost.")
    ] = 30.0,
    remote: Annotated[
        str | None,
        typer.Option(metavar="URL", help="Pull jobs over HTTPS from the hub at URL, with "
                     "--token: no database or broker needed."),
    ] = None,
    token: Annotated[
        str | None, typer.Option(envvar="AIHUB_RUNNER_TOKEN", help="With --remote: the "
                                 "runner token ('aihub runners create').")
    ] = None,
    cache_dir: Annotated[
        Path, typer.Option(help="With --remote: where downloaded files are kept (by sha256).")
    ] = Path("aihub-runner-cache"),
    cache_max_gb: Annotated[
        float, typer.Option(min=0, help="With --remote: the challenge files kept between "
                            "jobs, at most (least recently used go first).")
    ] = DEFAULT_CACHE_BYTES / 1024**3,
) -> None:
    """Run an evaluation worker: on the hub's database (default), fed by Celery
    (--celery), or pulling jobs over HTTPS (--remote URL --token T)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if celery and remote:
        fail("Choose --celery or --remote, not both.")
    if remote is not None:
        if not token:
            fail("--remote needs --token (or AIHUB_RUNNER_TOKEN).")
        run_remote(remote, str(token), _queue_list(queues, ()), cache_dir=cache_dir,
                   settings=settings_for(data_dir),
                   cache_max_bytes=int(cache_max_gb * 1024**3))
        return
    with admin_hub(data_dir) as hub:
        served = _queue_list(queues, hub.settings.worker_queue_names)
        if celery:
            run_celery(hub, served, broker_url=broker, sweep_seconds=sweep_seconds)
        else:
            run_local(hub, served, once=once)


def _runner_row(runner: object) -> dict[str, object]:
    fields = ("id", "name", "prefix", "queues", "organization_id", "created_at",
              "last_seen_at", "revoked_at")
    row = {name: getattr(runner, name) for name in fields}
    return {key: value.isoformat() if hasattr(value, "isoformat") else value
            for key, value in row.items()}


@runners_app.command("create")
def runners_create(
    name: Annotated[str, typer.Argument(help="A name to tell the machine apart.")],
    queues: Annotated[str, typer.Option(help="Comma-separated queues it may take jobs from.")],
    by: Annotated[str, typer.Option(help="The curator or host creating it (username); "
                                    "hosts may name their own challenges' queues only.")],
    org: Annotated[str | None, typer.Option(help="Curators: tie the runner to one "
                                             "organization's jobs (slug); by default, the "
                                             "one whose challenges use the queues.")] = None,
    hub_wide: Annotated[bool, typer.Option("--hub-wide", help="Curators: let it take every "
                                           "organization's jobs, hidden solutions "
                                           "included.")] = False,
    data_dir: DataDirOption = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create a runner token and print it (it is shown only this once)."""

    def create() -> tuple[dict[str, object], str]:
        with admin_hub(data_dir) as hub, hub.db.transaction() as session:
            actor = accounts.actor_for(session, accounts.get_user(session, by))
            organization_id = accounts.get_organization(session, org).id if org else None
            runner, plain = runner_services.create_runner(
                session, actor, name=name, queues=queues.split(","),
                organization_id=organization_id, hub_wide=hub_wide,
            )
            return _runner_row(runner), plain

    row, plain = run_service(create)
    if as_json:
        print_json(row | {"token": plain})
    else:
        typer.echo(plain)


@runners_app.command("list")
def runners_list(
    data_dir: DataDirOption = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List every runner token: its queues, when it was last seen, whether revoked."""
    with admin_hub(data_dir) as hub, hub.db.reading() as session:
        rows = [_runner_row(runner) for runner in runner_services.list_runners(session, None)]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        state = "revoked" if row["revoked_at"] else f"last seen {row['last_seen_at'] or 'never'}"
        queue_names = ",".join(row["queues"])  # type: ignore[arg-type]
        console.print(f"{row['id']}\t{row['name']}\t{row['prefix']}…\t{queue_names}\t{state}",
                      highlight=False)


@runners_app.command("revoke")
def runners_revoke(
    runner_id: Annotated[int, typer.Argument(help="The runner's id ('aihub runners list').")],
    data_dir: DataDirOption = None,
) -> None:
    """Revoke a runner token: its next request is refused."""
    def revoke() -> str:
        with admin_hub(data_dir) as hub, hub.db.transaction() as session:
            return runner_services.revoke_runner(session, None, runner_id).name

    console.print(f"Revoked runner {runner_id} ({run_service(revoke)}).")


def register(app: typer.Typer) -> None:
    app.command()(worker)
    app.add_typer(runners_app, name="runners")
