"""Engine, sessions and the declarative base shared by every domain's models."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import (
    DateTime,
    Engine,
    Insert,
    MetaData,
    TypeDecorator,
    create_engine,
    event,
    insert,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker

# Constraint names are fixed so Alembic migrations (and SQLite batch mode, which recreates
# tables) produce the same schema on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always returned time-zone aware.

    SQLite has no time zones; without this, values read back would be naive and comparisons
    against aware datetimes would raise.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


M = TypeVar("M", bound=Base)
_INSERTS: dict[type[Base], Insert] = {}


def insert_row(session: Session, model: type[M], values: dict[str, Any]) -> M:
    """Insert one row with a Core ``INSERT … RETURNING id`` and return it as an object of
    the session, as if added and flushed: on the submit path the ORM's unit of work costs
    several times the statement. ``values`` names every column but the integer ``id``, so
    the object has every attribute loaded and never goes back to the database for one."""
    table = model.__table__
    statement = _INSERTS.get(model)
    if statement is None:
        statement = _INSERTS[model] = insert(model).returning(table.c.id)
    if len(values) + 1 != len(table.c) or "id" in values:
        raise ValueError(f"insert_row({model.__name__}) needs every column but id")
    row = model(id=session.connection().execute(statement, values).scalar_one(), **values)
    make_transient_to_detached(row)
    session.add(row)
    return row


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer; busy_timeout makes a second process wait
    # for the write lock instead of failing; NORMAL sync is durable across process crashes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # A deferred transaction that reads and then writes fails at once with "database is
    # locked" when another writer committed in between; taking the write lock at BEGIN makes
    # writers queue on busy_timeout instead. Read-only sessions stay deferred so that reads
    # never wait for writers (WAL).
    if conn.get_execution_options().get("aihub_read_only"):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, *, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=20,
            max_overflow=20,
        )
        event.listen(engine, "connect", _sqlite_pragmas)

        @event.listens_for(engine, "connect")
        def _no_pysqlite_begin(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the sqlite3 module, emit BEGIN (see _sqlite_begin_immediate).
            dbapi_connection.isolation_level = None

        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, echo=echo, pool_size=20, max_overflow=20, pool_pre_ping=True)


SessionFactory = sessionmaker[Session]


class _WriterLock:
    """The one-writer-at-a-time queue of a SQLite database, for this process's threads and
    for the other processes on the same file.

    SQLite's own busy handler waits by sleeping in growing steps (1, 2, 5, 10 … 100 ms), so
    a writer in a second ``aihub serve`` process could sleep long after the lock is free.
    Threads queue on a mutex, and processes on an ``flock`` of a file beside the database,
    which the kernel hands to the next waiter the moment it is released. Anything else
    writing the file (the sqlite3 shell) still meets busy_timeout. Re-entrant, like the
    nested transactions it guards.
    """

    def __init__(self, database: str | None) -> None:
        self._mutex = threading.RLock()
        self._path = f"{database}-writer.lock" if database and database != ":memory:" else ""
        self._fd = -1
        self._pid = 0
        self._depth = 0

    def _file(self) -> int:
        # Opened per process: a descriptor inherited over fork would share the lock.
        if self._pid != os.getpid():
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._mutex:
            outermost = self._depth == 0 and bool(self._path)
            if outermost:
                fcntl.flock(self._file(), fcntl.LOCK_EX)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if outermost:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)


class Database:
    """The engine with two session factories: ``write`` for work that changes data and
    ``read`` for pages and API reads, which on SQLite never wait for the write lock."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)
        self.write: SessionFactory = sessionmaker(self.engine, expire_on_commit=False)
        self._sqlite_writer = _WriterLock(self.engine.url.database)
        self.read: SessionFactory = sessionmaker(
            self.engine.execution_options(aihub_read_only=True), expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write session committed on success and rolled back on any error."""
        if self.is_sqlite:
            # SQLite has one writer at a time: writers queue on _WriterLock, not on sleeps.
            with self._sqlite_writer.held(), self.write() as session, session.begin():
                yield session
        else:
            with self.write() as session, session.begin():
                yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self.read() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
