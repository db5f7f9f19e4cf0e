"""spaced review items and attempt purpose

Review answers are attempts marked `review` (practice: never counted, left out of item statistics);
each question a student reviews has a row in review_items holding its Leitner box and next due day.
Every attempt stored before this revision was made on a week's page, so it becomes `quiz`.

Revision ID: a7c3e91b2f04
Revises: d6d820c5e344
Create Date: 2026-12-04 20:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e91b2f04'
down_revision = 'd6d820c5e344'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.String(length=10), server_default='quiz', nullable=False))

    op.create_table('review_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.String(length=100), nullable=False),
    sa.Column('reason', sa.String(length=10), nullable=False),
    sa.Column('box', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('variant_id', sa.Integer(), nullable=True),
    sa.Column('last_attempt_id', sa.Integer(), nullable=True),
    sa.Column('reviews', sa.Integer(), nullable=False),
    sa.Column('right', sa.Integer(), nullable=False),
    sa.Column('last_reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['last_attempt_id'], ['attempts.id'], name=op.f('fk_review_items_last_attempt_id_attempts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_review_items_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['variant_id'], ['variants.id'], name=op.f('fk_review_items_variant_id_variants'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_items')),
    sa.UniqueConstraint('user_id', 'week', 'question_id', name=op.f('uq_review_items_user_id_week_question_id'))
    )
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.create_index('ix_review_items_user_due', ['user_id', 'due_on'], unique=False)
        batch_op.create_index('ix_review_items_week', ['week'], unique=False)


def downgrade():
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.drop_index('ix_review_items_week')
        batch_op.drop_index('ix_review_items_user_due')

    op.drop_table('review_items')
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_column('purpose')
