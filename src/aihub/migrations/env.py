"""Alembic environment: runs with a connection handed in by ``aihub.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from aihub.models import metadata

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = engine_from_config(
            config.get_section(config.config_ini_section) or {},
            prefix="sqlalchemy.",
            poolclass=pool.NullPool,
        )
        with engine.connect() as connection:
            _configure_and_run(connection)
    else:
        _configure_and_run(connection)


def _modelled(name: str | None, type_: str, parent_names: object) -> bool:
    """Leave out what the models do not describe: SQLite's FTS5 search table and its
    shadow tables, made by ``datasets.search_index.ensure_fts`` on first use."""
    return not (type_ == "table" and name is not None and name.startswith("dataset_search_fts"))


def _configure_and_run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        include_name=_modelled,
        # SQLite cannot ALTER most things; batch mode recreates the table instead.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
