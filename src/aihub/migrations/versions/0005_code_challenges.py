"""code challenges, program scoring, runners

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aihub.db


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('evaluation_kind', sa.String(length=16), nullable=False, server_default='metric'))
        batch_op.add_column(sa.Column('submission_kind', sa.String(length=16), nullable=False, server_default='predictions'))
        batch_op.add_column(sa.Column('runtime', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('code_spec', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('board_columns', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('queue', sa.String(length=64), nullable=False, server_default='default'))
        batch_op.add_column(sa.Column('sandbox_fallback_allowed', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('source', sa.String(length=16), nullable=False, server_default='aihub'))
        batch_op.add_column(sa.Column('import_report', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('phases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('task', sa.JSON(), nullable=True))
    with op.batch_alter_table('challenge_files', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audience', sa.String(length=16), nullable=False, server_default='participants'))
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scores', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('log', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('host_log', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('detailed_results_sha256', sa.String(length=64), nullable=False, server_default=''))
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error_kind', sa.String(length=16), nullable=False, server_default=''))
    op.create_table(
        'runners',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('queues', sa.JSON(), nullable=False),
        sa.Column('created_at', aihub.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', aihub.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', aihub.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_runners_created_by_id_users')),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_runners_organization_id_organizations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_runners')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_runners_token_hash')),
    )
    with op.batch_alter_table('runners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_runners_organization_id'), ['organization_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('runners', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_runners_organization_id'))
    op.drop_table('runners')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('error_kind')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        for name in ('detailed_results_sha256', 'host_log', 'log', 'scores'):
            batch_op.drop_column(name)
    with op.batch_alter_table('challenge_files', schema=None) as batch_op:
        batch_op.drop_column('audience')
    with op.batch_alter_table('phases', schema=None) as batch_op:
        batch_op.drop_column('task')
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        for name in ('import_report', 'source', 'sandbox_fallback_allowed', 'queue',
                     'board_columns', 'code_spec', 'runtime', 'submission_kind',
                     'evaluation_kind'):
            batch_op.drop_column(name)
