"""One typed settings object, read once from the environment (prefix ``AIHUB_``)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SMTP_PORT = 587


def parse_host(value: str) -> tuple[str, int]:
    """``host`` or ``host:port`` (IPv6 in brackets: ``[::1]:25``); ValueError, saying how
    to write it, for anything else."""
    value = value.strip()
    if value.startswith("["):
        host, closed, rest = value[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else str(SMTP_PORT) if not rest else "?"
    else:
        host, sep, port = value.rpartition(":")
        if not sep:
            host, port = value, str(SMTP_PORT)
        closed = "]"
    if not host or not closed or not (port.isascii() and port.isdecimal()) \
            or not 0 < int(port) < 65536:
        raise ValueError(f"{value!r} is not host or host:port (IPv6 as [::1]:25)")
    return host, int(port)


class Settings(BaseSettings):
    """Everything aihub can be told, each with a default and a line of help.

    ``docs/settings.md`` is generated from these fields (``aihub settings --markdown``) and a
    test fails when the two drift.
    """

    model_config = SettingsConfigDict(env_prefix="AIHUB_", extra="ignore", frozen=True)

    data_dir: Path = Field(
        Path("aihub-data"),
        description="Folder for the SQLite database, the blob store and caches.",
    )
    database_url: str = Field(
        "",
        description="SQLAlchemy URL; empty means SQLite at DATA_DIR/aihub.sqlite3. "
        "Production: postgresql+psycopg://user@host/db.",
    )
    blob_dir: Path | None = Field(
        None, description="Where uploaded files are stored; empty means DATA_DIR/blobs."
    )
    timezone: str = Field(
        "Asia/Seoul",
        description="The hub's time zone: daily submission limits reset at its midnight.",
    )
    max_upload_bytes: int = Field(
        512 * 1024 * 1024,
        description="Largest submission or challenge file accepted, in bytes.",
    )
    max_bundle_bytes: int = Field(
        2 * 1024 * 1024 * 1024,
        description="Largest challenge bundle (zip) accepted, in bytes, unpacked.",
    )
    max_dataset_file_bytes: int = Field(
        200 * 1024 * 1024 * 1024,
        description="Largest single dataset file accepted through resumable (tus) uploads, "
        "in bytes. Files are streamed to disk, never held in memory.",
    )
    upload_expiry_hours: float = Field(
        24.0, gt=0,
        description="How long an unfinished resumable upload is kept after its last byte "
        "arrived before it is deleted.",
    )
    access_request_days: int = Field(
        8, ge=1,
        description="Days a host or curator has to answer a request for an approval-tier "
        "dataset; the request shows its due date.",
    )
    data_request_days: int = Field(
        10, ge=1,
        description="Days the hub has to answer a request for data not in the catalog; one "
        "extension of the same length may be granted.",
    )
    workers_in_process: int = Field(
        2, ge=0, description="Evaluation worker threads inside each `aihub serve` process."
    )
    executor: Literal["in-process", "celery"] = Field(
        "in-process",
        description="Where jobs run: threads inside each `aihub serve` (WORKERS_IN_PROCESS), "
        "or published to RabbitMQ for `aihub worker --celery` processes.",
    )
    celery_broker_url: str = Field(
        "amqp://guest:guest@127.0.0.1:5672//",
        description="Celery broker for EXECUTOR=celery and `aihub worker --celery`; set "
        "RabbitMQ's consumer_timeout above the longest job (docs/workers.md).",
    )
    worker_queues: str = Field(
        "default,intake",
        description="Comma-separated job queues the in-process workers take jobs from "
        "('intake': profiling and personal-data scans of dataset versions).",
    )
    job_lease_seconds: float = Field(
        30.0,
        gt=0,
        description="How long a claimed job stays a worker's without a heartbeat; "
        "after that the reaper hands it to another worker.",
    )
    job_max_attempts: int = Field(
        3, ge=1, description="Tries before a job that keeps losing its worker is failed."
    )
    worker_poll_seconds: float = Field(
        0.5,
        gt=0,
        description="How often an idle worker looks in the job table for work it was not told of.",
    )
    truth_cache_size: int = Field(
        8, ge=1, description="Prepared solutions kept in memory per process."
    )
    runtimes_dir: Path | None = Field(
        None,
        description="Where this worker's runtimes (Python environments for code runs) live; "
        "empty means DATA_DIR/runtimes. Make them with `aihub runtimes build`.",
    )
    sandbox_dir: Path = Field(
        Path("/var/tmp/aihub-sandbox"),  # noqa: S108 - a fixed, documented work folder
        description="Work folder of sandboxed runs. Sandbox users must be able to enter "
        "it, so it must not be under a folder closed to others (mode 0700).",
    )
    sandbox_first_uid: int = Field(
        61000, ge=1000,
        description="Sandboxed run k runs as uid SANDBOX_FIRST_UID + k (needs a root worker).",
    )
    sandbox_slots: int = Field(
        4, ge=1,
        description="Sandboxed programs at once on this machine (one uid each). A bundle "
        "whose ingestion runs beside another program takes two per job.",
    )
    sandbox_mode: Literal["auto", "full", "reduced"] = Field(
        "auto",
        description="Which sandbox runs code here: 'full' (bubblewrap in a user namespace), "
        "'reduced' (bubblewrap run as root without one: only for challenges a curator "
        "allowed it for), or 'auto' (full where the machine allows it, else reduced).",
    )
    public_base_url: str = Field(
        "", description="The hub's address as users see it, for links in the CLI and mails."
    )
    secret_key: str = Field(
        "",
        description="Key that signs the web forms' CSRF tokens; empty means a random key kept "
        "in DATA_DIR/secret-key (share one value between all `aihub serve` machines).",
    )
    session_days: int = Field(
        14, ge=1, description="How long a browser stays logged in without logging in again."
    )
    secure_cookies: bool = Field(
        True,
        description="Send session cookies over HTTPS only. Browsers treat 127.0.0.1 and "
        "localhost as secure, so the demo works over plain HTTP there.",
    )
    login_attempts: int = Field(
        5, ge=1,
        description="Failed log-ins allowed per name, and four times as many per address, "
        "within LOGIN_WINDOW_MINUTES before further tries are refused.",
    )
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description="Reverse proxies whose X-Forwarded-For is believed (comma-separated "
        "addresses, or *): log-in limits per address count the browser's address, not "
        "the proxy's.",
    )
    login_window_minutes: int = Field(
        15, ge=1, description="The window over which failed log-ins are counted."
    )
    mailer: Literal["log", "smtp"] = Field(
        "log",
        description="How mails (password resets) are sent: 'log' writes them to the log "
        "(and DATA_DIR/mail.log); 'smtp' sends them through SMTP_HOST.",
    )
    smtp_host: str = Field("", description="SMTP server for MAILER=smtp, as host or host:port.")
    smtp_user: str = Field("", description="SMTP user name, if the server asks for one.")
    smtp_password: str = Field("", description="SMTP password, if the server asks for one.")
    mail_from: str = Field(
        "aihub <noreply@aihub.example>", description="The From address of the hub's mails."
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except Exception as exc:  # ZoneInfo raises several types for bad names
            raise ValueError(f"unknown time zone {value!r}; use an IANA name") from exc
        return value

    @model_validator(mode="after")
    def _mail_can_reach_people(self) -> Settings:
        if self.mailer == "smtp" and not self.smtp_host:
            raise ValueError("MAILER=smtp needs SMTP_HOST (host or host:port)")
        if self.smtp_host:
            parse_host(self.smtp_host)  # refused now, with the reason, not at the first mail
        if self.mailer == "smtp" and not self.public_base_url:
            # Links in real mails must not be built from the request's Host header, which
            # whoever asks for a password reset can forge.
            raise ValueError("MAILER=smtp needs PUBLIC_BASE_URL, the address in mailed links")
        return self

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'aihub.sqlite3').resolve()}"

    @property
    def resolved_blob_dir(self) -> Path:
        return self.blob_dir or self.data_dir / "blobs"

    @property
    def worker_queue_names(self) -> tuple[str, ...]:
        return tuple(name.strip() for name in self.worker_queues.split(",") if name.strip())

    @property
    def resolved_runtimes_dir(self) -> Path:
        return self.runtimes_dir or self.data_dir / "runtimes"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"
