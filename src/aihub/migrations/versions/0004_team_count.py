"""challenges keep their number of teams

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 18:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_count', sa.Integer(), nullable=False, server_default='0'))
    op.execute(
        "UPDATE challenges SET team_count = "
        "(SELECT count(*) FROM teams WHERE teams.challenge_id = challenges.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.drop_column('team_count')
