"""Alembic migrations; ``aihub db upgrade`` applies them (see ``aihub.migrate``)."""
