"""finding decisions: the column a finding is in as text of any length

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 03:00:00

A finding's column is the scanned table's header, and in a zip "member path: header":
headers of 256 characters and more (survey questions) and deep member paths are real, and
a finding whose column did not fit could never be decided, so its version never published.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('dataset_finding_decisions', schema=None) as batch_op:
        batch_op.alter_column('column', existing_type=sa.String(length=255),
                              type_=sa.Text(), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('dataset_finding_decisions', schema=None) as batch_op:
        batch_op.alter_column('column', existing_type=sa.Text(),
                              type_=sa.String(length=255), existing_nullable=False)
