"""LTI 1.3: platforms, tool keys, identities, courses, launch storage and the grade queue

Revision ID: b41e7c2d9a10
Revises: a7c3e91b2f04
Create Date: 2026-12-04 20:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b41e7c2d9a10'
down_revision = 'a7c3e91b2f04'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lti_tool_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kid', sa.String(length=100), nullable=False),
    sa.Column('private_pem', sa.Text(), nullable=False),
    sa.Column('public_jwk', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_tool_keys')),
    sa.UniqueConstraint('kid', name=op.f('uq_lti_tool_keys_kid'))
    )
    op.create_table('lti_platforms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('issuer', sa.String(length=255), nullable=False),
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('auth_login_url', sa.String(length=1000), nullable=False),
    sa.Column('auth_token_url', sa.String(length=1000), nullable=False),
    sa.Column('auth_audience', sa.String(length=1000), nullable=True),
    sa.Column('key_set_url', sa.String(length=1000), nullable=False),
    sa.Column('trust_emails', sa.Boolean(), nullable=False),
    sa.Column('send_grades', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_platforms')),
    sa.UniqueConstraint('issuer', 'client_id', name=op.f('uq_lti_platforms_issuer_client_id'))
    )
    op.create_table('lti_cache',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_lti_cache'))
    )
    with op.batch_alter_table('lti_cache', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lti_cache_expires_at'), ['expires_at'], unique=False)

    op.create_table('lti_deployments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['lti_platforms.id'], name=op.f('fk_lti_deployments_platform_id_lti_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_deployments')),
    sa.UniqueConstraint('platform_id', 'deployment_id', name=op.f('uq_lti_deployments_platform_id_deployment_id'))
    )
    op.create_table('lti_identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_launch_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['platform_id'], ['lti_platforms.id'], name=op.f('fk_lti_identities_platform_id_lti_platforms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_lti_identities_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_identities')),
    sa.UniqueConstraint('platform_id', 'subject', name=op.f('uq_lti_identities_platform_id_subject'))
    )
    with op.batch_alter_table('lti_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lti_identities_user_id'), ['user_id'], unique=False)

    op.create_table('lti_contexts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('context_id', sa.String(length=255), nullable=False),
    sa.Column('deployment_id', sa.String(length=255), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('lineitems_url', sa.String(length=1000), nullable=True),
    sa.Column('ags_scopes', sa.JSON(), nullable=False),
    sa.Column('memberships_url', sa.String(length=1000), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['lti_platforms.id'], name=op.f('fk_lti_contexts_platform_id_lti_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_contexts')),
    sa.UniqueConstraint('platform_id', 'context_id', name=op.f('uq_lti_contexts_platform_id_context_id'))
    )
    op.create_table('lti_memberships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('context_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('lms_role', sa.String(length=20), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['context_id'], ['lti_contexts.id'], name=op.f('fk_lti_memberships_context_id_lti_contexts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_lti_memberships_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_memberships')),
    sa.UniqueConstraint('context_id', 'user_id', name=op.f('uq_lti_memberships_context_id_user_id'))
    )
    with op.batch_alter_table('lti_memberships', schema=None) as batch_op:
        batch_op.create_index('ix_lti_memberships_user_role', ['user_id', 'lms_role'], unique=False)

    op.create_table('lti_line_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('context_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['context_id'], ['lti_contexts.id'], name=op.f('fk_lti_line_items_context_id_lti_contexts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_line_items')),
    sa.UniqueConstraint('context_id', 'week', name=op.f('uq_lti_line_items_context_id_week'))
    )
    op.create_table('lti_grade_queue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.Integer(), nullable=False),
    sa.Column('enqueued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_tried_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_lti_grade_queue_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_grade_queue')),
    sa.UniqueConstraint('user_id', 'week', name=op.f('uq_lti_grade_queue_user_id_week'))
    )
    with op.batch_alter_table('lti_grade_queue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lti_grade_queue_due_at'), ['due_at'], unique=False)

    op.create_table('lti_grades_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.Integer(), nullable=False),
    sa.Column('context_id', sa.Integer(), nullable=False),
    sa.Column('score_given', sa.Float(), nullable=False),
    sa.Column('score_maximum', sa.Float(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['context_id'], ['lti_contexts.id'], name=op.f('fk_lti_grades_sent_context_id_lti_contexts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_lti_grades_sent_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_grades_sent')),
    sa.UniqueConstraint('user_id', 'week', 'context_id', name=op.f('uq_lti_grades_sent_user_id_week_context_id'))
    )
    op.create_table('lti_role_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('lms_role', sa.String(length=20), nullable=False),
    sa.Column('account_role', sa.String(length=20), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution', sa.String(length=20), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['platform_id'], ['lti_platforms.id'], name=op.f('fk_lti_role_notices_platform_id_lti_platforms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_lti_role_notices_resolved_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_lti_role_notices_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_role_notices'))
    )
    with op.batch_alter_table('lti_role_notices', schema=None) as batch_op:
        batch_op.create_index('ix_lti_role_notices_open', ['resolved_at', 'user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('lti_role_notices', schema=None) as batch_op:
        batch_op.drop_index('ix_lti_role_notices_open')
    op.drop_table('lti_role_notices')
    op.drop_table('lti_grades_sent')
    with op.batch_alter_table('lti_grade_queue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lti_grade_queue_due_at'))
    op.drop_table('lti_grade_queue')
    op.drop_table('lti_line_items')
    with op.batch_alter_table('lti_memberships', schema=None) as batch_op:
        batch_op.drop_index('ix_lti_memberships_user_role')
    op.drop_table('lti_memberships')
    op.drop_table('lti_contexts')
    with op.batch_alter_table('lti_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lti_identities_user_id'))
    op.drop_table('lti_identities')
    op.drop_table('lti_deployments')
    with op.batch_alter_table('lti_cache', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lti_cache_expires_at'))
    op.drop_table('lti_cache')
    op.drop_table('lti_platforms')
    op.drop_table('lti_tool_keys')
