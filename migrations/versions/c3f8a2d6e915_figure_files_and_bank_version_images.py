"""figure files and the images of each bank version

Revision ID: c3f8a2d6e915
Revises: b4e1d7c9a2f6
Create Date: 2026-12-04 20:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3f8a2d6e915'
down_revision = 'b4e1d7c9a2f6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('figure_files',
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('media_type', sa.String(length=40), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    with op.batch_alter_table('bank_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('images', sa.JSON(), server_default='{}', nullable=False))


def downgrade():
    with op.batch_alter_table('bank_versions', schema=None) as batch_op:
        batch_op.drop_column('images')
    op.drop_table('figure_files')
