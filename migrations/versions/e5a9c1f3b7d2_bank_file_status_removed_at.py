"""bank file status remembers when its file was removed from questions/

Revision ID: e5a9c1f3b7d2
Revises: c3f8a2d6e915
Create Date: 2026-12-04 20:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5a9c1f3b7d2'
down_revision = 'c3f8a2d6e915'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bank_file_status', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('bank_file_status', schema=None) as batch_op:
        batch_op.drop_column('removed_at')
