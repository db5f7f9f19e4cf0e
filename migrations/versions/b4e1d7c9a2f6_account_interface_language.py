"""account interface language

Revision ID: b4e1d7c9a2f6
Revises: b41e7c2d9a10
Create Date: 2026-12-04 20:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b4e1d7c9a2f6'
down_revision = 'b41e7c2d9a10'
branch_labels = None
depends_on = None


def upgrade():
    # NULL: the account follows the browser's Accept-Language until its owner picks a language
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('language')
