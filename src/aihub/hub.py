"""The running hub's parts, built once from the settings and shared by app, CLI and workers."""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from collections.abc import Callable

from aihub.datasets.intake import IntakeRunner
from aihub.db import Database
from aihub.errors import InvalidInput
from aihub.evaluation.code import CodeRunner
from aihub.evaluation.execute import KindRunner
from aihub.evaluation.executors import (
    CeleryExecutor,
    Executor,
    ExternalExecutor,
    InProcessExecutor,
)
from aihub.evaluation.plans import TaskKind
from aihub.evaluation.runner import Evaluator
from aihub.evaluation.sandbox import Isolation, Sandbox, SandboxError, create_sandbox
from aihub.evaluation.scoring import TruthCache
from aihub.interop.codabench.execute import ProgramRunner
from aihub.mail import Mailer, mailer_from_settings
from aihub.settings import Settings
from aihub.storage import LocalStorage


class Completions:
    """Wakes requests waiting for a submission's score when a worker in this process ends it.

    Workers in other processes do not call ``notify``; waiters therefore also re-read the
    database on a short timeout, and a notification only makes the common case fast.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[int, list[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = (
            defaultdict(list)
        )

    def register(self, submission_id: int) -> asyncio.Event:
        event = asyncio.Event()
        with self._lock:
            self._waiters[submission_id].append((asyncio.get_running_loop(), event))
        return event

    def unregister(self, submission_id: int, event: asyncio.Event) -> None:
        with self._lock:
            waiters = self._waiters.get(submission_id, [])
            self._waiters[submission_id] = [item for item in waiters if item[1] is not event]
            if not self._waiters[submission_id]:
                del self._waiters[submission_id]

    def notify(self, submission_id: int) -> None:
        with self._lock:
            waiters = list(self._waiters.get(submission_id, []))
        for loop, event in waiters:
            loop.call_soon_threadsafe(event.set)


def sandbox_runners(
    settings: Settings,
) -> tuple[Callable[[], Sandbox], dict[TaskKind, KindRunner]]:
    """This machine's sandbox (made on first use: a hub that never runs code never pays
    for the probe, and one that cannot sandbox says why when asked) and the runners of code
    and program tasks that use it; for the hub's workers and for remote runners alike."""
    made: list[Sandbox] = []
    lock = threading.Lock()

    def sandbox() -> Sandbox:
        with lock:
            if not made:
                made.append(create_sandbox(
                    work_dir=settings.sandbox_dir / "boxes",
                    first_uid=settings.sandbox_first_uid, slots=settings.sandbox_slots,
                    mode=settings.sandbox_mode,
                ))
            return made[0]

    runtimes, work = settings.resolved_runtimes_dir, settings.sandbox_dir
    return sandbox, {
        TaskKind.CODE: CodeRunner(sandbox, runtimes, work),
        TaskKind.PROGRAM: ProgramRunner(sandbox, runtimes, work),
    }


class Hub:
    def __init__(self, settings: Settings, *, start_workers: bool = True) -> None:
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.db = Database(settings.resolved_database_url)
        self.storage = LocalStorage(settings.resolved_blob_dir)
        self.truths = TruthCache(settings.cache_dir / "truth", max_items=settings.truth_cache_size)
        self.completions = Completions()
        self.mailer: Mailer = mailer_from_settings(settings)
        self.evaluator = Evaluator(
            self.db,
            self.storage,
            self.truths,
            max_bytes=settings.max_upload_bytes,
            on_done=self.completions.notify,
        )
        # Code and bundle programs run in one sandbox, made when first needed.
        self.sandbox, runners = sandbox_runners(settings)
        self.evaluator.kit.runners.update(runners)
        # The intake of dataset versions runs on the same workers, from its own queue.
        self.evaluator.handlers["dataset_intake"] = IntakeRunner(self.db, self.storage)
        self.executor: Executor
        if start_workers and settings.executor == "celery":
            self.executor = CeleryExecutor(self.db, settings.celery_broker_url)
        elif start_workers and settings.workers_in_process > 0:
            self.executor = InProcessExecutor(
                self.db,
                self.evaluator,
                threads=settings.workers_in_process,
                lease_seconds=settings.job_lease_seconds,
                poll_seconds=settings.worker_poll_seconds,
                queues=settings.worker_queue_names,
            )
        else:
            self.executor = ExternalExecutor()

    def check_can_run_code(self, *, reduced_allowed: bool = False) -> None:
        """Refuse code (``InvalidInput``, saying why) when this hub runs its jobs itself
        and cannot sandbox it: no sandbox at all, or only the reduced one where no curator
        allowed it (``reduced_allowed``). Workers on other machines check their own
        sandbox when they take a job; participant code never runs bare."""
        if not self.executor.runs_here:
            return
        try:
            sandbox = self.sandbox()
        except SandboxError as exc:
            raise InvalidInput(f"This hub cannot run code challenges: {exc}") from exc
        if sandbox.isolation is not Isolation.FULL and not reduced_allowed:
            raise InvalidInput(
                "This hub's sandbox has reduced isolation (bubblewrap runs as root: the "
                "machine allows no user namespaces), so code runs only for challenges a "
                "curator allowed it for. A curator can allow it when creating the challenge "
                "(--allow-reduced-sandbox) or later (aihub challenges sandbox SLUG "
                "--allow-reduced); docs/sandbox.md says what is weaker."
            )

    def start(self) -> None:
        self.executor.start()

    def close(self) -> None:
        self.executor.stop()
        self.db.dispose()
