"""dataset catalog: datasets, immutable versions, PII decisions, access, data requests

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 22:45:38.903131
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aihub.db


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('datasets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('title_ko', sa.String(length=300), nullable=False),
    sa.Column('title_en', sa.String(length=300), nullable=False),
    sa.Column('description_ko', sa.Text(), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=False),
    sa.Column('licence_id', sa.String(length=32), nullable=False),
    sa.Column('licence_text', sa.Text(), nullable=False),
    sa.Column('access_tier', sa.String(length=16), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('published_at', aihub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', aihub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', aihub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_datasets_created_by_id_users')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_datasets_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_datasets')),
    sa.UniqueConstraint('slug', name=op.f('uq_datasets_slug'))
    )
    with op.batch_alter_table('datasets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_datasets_organization_id'), ['organization_id'], unique=False)

    op.create_table('access_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organization', sa.String(length=200), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('commercial_use', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_at', aihub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', aihub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', aihub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', aihub.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_access_requests_dataset_id_datasets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_access_requests_decided_by_id_users')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_access_requests_revoked_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_access_requests_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_requests'))
    )
    with op.batch_alter_table('access_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_requests_dataset_id'), ['dataset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_requests_user_id'), ['user_id'], unique=False)

    op.create_table('dataset_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_dataset_tags_dataset_id_datasets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dataset_tags')),
    sa.UniqueConstraint('dataset_id', 'name', name=op.f('uq_dataset_tags_dataset_id_name'))
    )
    with op.batch_alter_table('dataset_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dataset_tags_name'), ['name'], unique=False)

    op.create_table('dataset_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=64), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('manifest', sa.Text(), nullable=True),
    sa.Column('rev', sa.String(length=64), nullable=True),
    sa.Column('file_count', sa.Integer(), nullable=False),
    sa.Column('total_bytes', sa.BigInteger(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', aihub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', aihub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('intake_done_at', aihub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', aihub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', aihub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_dataset_versions_created_by_id_users')),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_dataset_versions_dataset_id_datasets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_dataset_versions_decided_by_id_users')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_dataset_versions_published_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dataset_versions')),
    sa.UniqueConstraint('dataset_id', 'label', name=op.f('uq_dataset_versions_dataset_id_label'))
    )
    with op.batch_alter_table('dataset_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dataset_versions_dataset_id'), ['dataset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dataset_versions_rev'), ['rev'], unique=False)

    op.create_table('licence_acceptances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('licence_id', sa.String(length=32), nullable=False),
    sa.Column('purpose', sa.String(length=500), nullable=False),
    sa.Column('accepted_at', aihub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_licence_acceptances_dataset_id_datasets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_licence_acceptances_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_licence_acceptances')),
    sa.UniqueConstraint('dataset_id', 'user_id', name=op.f('uq_licence_acceptances_dataset_id_user_id'))
    )
    with op.batch_alter_table('licence_acceptances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_licence_acceptances_user_id'), ['user_id'], unique=False)

    op.create_table('challenge_datasets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=64), nullable=False),
    sa.Column('created_at', aihub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_challenge_datasets_challenge_id_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['dataset_versions.id'], name=op.f('fk_challenge_datasets_version_id_dataset_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenge_datasets')),
    sa.UniqueConstraint('challenge_id', 'version_id', name=op.f('uq_challenge_datasets_challenge_id_version_id'))
    )
    with op.batch_alter_table('challenge_datasets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenge_datasets_challenge_id'), ['challenge_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenge_datasets_version_id'), ['version_id'], unique=False)

    op.create_table('data_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('organization', sa.String(length=200), nullable=False),
    sa.Column('addressed_to_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('legal_ground', sa.String(length=300), nullable=False),
    sa.Column('created_at', aihub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', aihub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('extended_at', aihub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('extension_reason', sa.String(length=500), nullable=False),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', aihub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('fulfilled_dataset_id', sa.Integer(), nullable=True),
    sa.Column('fulfilled_version_id', sa.Integer(), nullable=True),
    sa.Column('support_count', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['addressed_to_id'], ['organizations.id'], name=op.f('fk_data_requests_addressed_to_id_organizations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_data_requests_answered_by_id_users')),
    sa.ForeignKeyConstraint(['fulfilled_dataset_id'], ['datasets.id'], name=op.f('fk_data_requests_fulfilled_dataset_id_datasets'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['fulfilled_version_id'], ['dataset_versions.id'], name=op.f('fk_data_requests_fulfilled_version_id_dataset_versions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_data_requests_requester_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_requests'))
    )
    with op.batch_alter_table('data_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_requests_addressed_to_id'), ['addressed_to_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_requests_requester_id'), ['requester_id'], unique=False)

    op.create_table('dataset_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('media_type', sa.String(length=127), nullable=False),
    sa.Column('created_at', aihub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('profile', sa.JSON(), nullable=True),
    sa.Column('pii_report', sa.JSON(), nullable=True),
    sa.Column('intake_error', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['dataset_versions.id'], name=op.f('fk_dataset_files_version_id_dataset_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dataset_files')),
    sa.UniqueConstraint('version_id', 'path', name=op.f('uq_dataset_files_version_id_path'))
    )
    with op.batch_alter_table('dataset_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dataset_files_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_dataset_files_version_id'), ['version_id'], unique=False)

    op.create_table('data_request_supports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', aihub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['data_requests.id'], name=op.f('fk_data_request_supports_request_id_data_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_data_request_supports_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_request_supports')),
    sa.UniqueConstraint('request_id', 'user_id', name=op.f('uq_data_request_supports_request_id_user_id'))
    )
    with op.batch_alter_table('data_request_supports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_request_supports_user_id'), ['user_id'], unique=False)

    op.create_table('dataset_finding_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('column', sa.String(length=255), nullable=False),
    sa.Column('pattern_id', sa.String(length=64), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', aihub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_dataset_finding_decisions_decided_by_id_users')),
    sa.ForeignKeyConstraint(['file_id'], ['dataset_files.id'], name=op.f('fk_dataset_finding_decisions_file_id_dataset_files'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['dataset_versions.id'], name=op.f('fk_dataset_finding_decisions_version_id_dataset_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dataset_finding_decisions'))
    )
    with op.batch_alter_table('dataset_finding_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dataset_finding_decisions_version_id'), ['version_id'], unique=False)

    op.create_table('download_logs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('at', aihub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['dataset_files.id'], name=op.f('fk_download_logs_file_id_dataset_files'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_download_logs_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['version_id'], ['dataset_versions.id'], name=op.f('fk_download_logs_version_id_dataset_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_download_logs'))
    )
    with op.batch_alter_table('download_logs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_download_logs_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_download_logs_version_id'), ['version_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('download_logs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_download_logs_version_id'))
        batch_op.drop_index(batch_op.f('ix_download_logs_user_id'))

    op.drop_table('download_logs')
    with op.batch_alter_table('dataset_finding_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dataset_finding_decisions_version_id'))

    op.drop_table('dataset_finding_decisions')
    with op.batch_alter_table('data_request_supports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_request_supports_user_id'))

    op.drop_table('data_request_supports')
    with op.batch_alter_table('dataset_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dataset_files_version_id'))
        batch_op.drop_index(batch_op.f('ix_dataset_files_sha256'))

    op.drop_table('dataset_files')
    with op.batch_alter_table('data_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_requests_requester_id'))
        batch_op.drop_index(batch_op.f('ix_data_requests_addressed_to_id'))

    op.drop_table('data_requests')
    with op.batch_alter_table('challenge_datasets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_challenge_datasets_version_id'))
        batch_op.drop_index(batch_op.f('ix_challenge_datasets_challenge_id'))

    op.drop_table('challenge_datasets')
    with op.batch_alter_table('licence_acceptances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_licence_acceptances_user_id'))

    op.drop_table('licence_acceptances')
    with op.batch_alter_table('dataset_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dataset_versions_rev'))
        batch_op.drop_index(batch_op.f('ix_dataset_versions_dataset_id'))

    op.drop_table('dataset_versions')
    with op.batch_alter_table('dataset_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dataset_tags_name'))

    op.drop_table('dataset_tags')
    with op.batch_alter_table('access_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_requests_user_id'))
        batch_op.drop_index(batch_op.f('ix_access_requests_dataset_id'))

    op.drop_table('access_requests')
    with op.batch_alter_table('datasets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_datasets_organization_id'))

    op.drop_table('datasets')
