"""dataset search: compact rows, text rows (pg_trgm and grams GIN on PostgreSQL), state token

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 00:30:00

SQLite's FTS5 table is not created here: ``search_index.ensure_fts`` creates it (with its
triggers) the first time a dataset is indexed, because Alembic cannot model a virtual
table and its shadow tables. The index is derived data: the upgrade fills it from the
catalog with ``search_index.rebuild_index``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import aihub.db


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('dataset_search',
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('licence_id', sa.String(length=32), nullable=False),
    sa.Column('access_tier', sa.String(length=16), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('updated_at', aihub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sort_title', sa.String(length=300), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('tag_text', sa.Text(), nullable=False),
    sa.Column('tags', sa.Text(), nullable=False),
    sa.Column('formats', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_dataset_search_dataset_id_datasets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('dataset_id', name=op.f('pk_dataset_search'))
    )
    op.create_table('dataset_search_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dataset_search_state'))
    )
    op.create_table('dataset_search_text',
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('doc', sa.Text(), nullable=False),
    sa.Column('grams', sa.Text().with_variant(postgresql.ARRAY(sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_dataset_search_text_dataset_id_datasets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('dataset_id', name=op.f('pk_dataset_search_text'))
    )
    if op.get_bind().dialect.name == 'postgresql':
        # Trusted since PostgreSQL 13: the database's owner may create it.
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    with op.batch_alter_table('dataset_search_text', schema=None) as batch_op:
        # GIN on PostgreSQL; on SQLite an empty partial index, so the model fits both.
        batch_op.create_index('ix_dataset_search_text_doc', ['doc'], unique=False, postgresql_using='gin', postgresql_ops={'doc': 'gin_trgm_ops'}, sqlite_where=sa.false())
        batch_op.create_index('ix_dataset_search_text_grams', ['grams'], unique=False, postgresql_using='gin', sqlite_where=sa.false())

    from aihub.datasets.search_index import rebuild_index  # noqa: PLC0415
    rebuild_index(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        from aihub.datasets.search_index import drop_fts  # noqa: PLC0415
        drop_fts(op.get_bind())
    with op.batch_alter_table('dataset_search_text', schema=None) as batch_op:
        batch_op.drop_index('ix_dataset_search_text_grams')
        batch_op.drop_index('ix_dataset_search_text_doc')

    op.drop_table('dataset_search_text')
    op.drop_table('dataset_search_state')
    op.drop_table('dataset_search')
    # pg_trgm stays: other schemas in the database may use it.
