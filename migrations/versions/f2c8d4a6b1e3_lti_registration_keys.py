"""LTI dynamic registration: one-time registration links

Revision ID: f2c8d4a6b1e3
Revises: e5a9c1f3b7d2
Create Date: 2026-12-05 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f2c8d4a6b1e3'
down_revision = 'e5a9c1f3b7d2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lti_registration_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('platform_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_lti_registration_keys_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['platform_id'], ['lti_platforms.id'], name=op.f('fk_lti_registration_keys_platform_id_lti_platforms'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_registration_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_lti_registration_keys_key_hash'))
    )


def downgrade():
    op.drop_table('lti_registration_keys')
