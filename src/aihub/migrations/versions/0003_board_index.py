"""an index the public leaderboard is ranked from

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 18:40:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index('ix_submissions_board', ['phase_id', 'status', 'team_id', 'public_score', 'created_at'], unique=False)
        batch_op.drop_index('ix_submissions_phase_status_public')


def downgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index('ix_submissions_phase_status_public', ['phase_id', 'status', 'public_score'], unique=False)
        batch_op.drop_index('ix_submissions_board')
