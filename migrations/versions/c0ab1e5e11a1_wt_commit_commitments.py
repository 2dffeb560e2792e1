"""Commitments: the part-time work a person already holds (interchange v1.1), and the
person's choice that their week is complete.

Branch wt/commit.

Revision ID: c0ab1e5e11a1
Revises: efab7fe3a460
Create Date: 2026-12-14 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import connectences.models.base


# revision identifiers, used by Alembic.
revision = 'c0ab1e5e11a1'
down_revision = 'efab7fe3a460'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('commitment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=True),
    sa.Column('hours_per_week', sa.Double(), nullable=False),
    sa.Column('days', sa.JSON(), nullable=False),
    sa.Column('start', sa.Date(), nullable=True),
    sa.Column('until', sa.Date(), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('placement_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', connectences.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidate.id'], name=op.f('fk_commitment_candidate_id_candidate'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_commitment_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['placement_id'], ['placement.id'], name=op.f('fk_commitment_placement_id_placement'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commitment'))
    )
    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commitment_candidate_id'), ['candidate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commitment_placement_id'), ['placement_id'], unique=False)

    with op.batch_alter_table('candidate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('week_complete', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('candidate', schema=None) as batch_op:
        batch_op.drop_column('week_complete')

    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commitment_placement_id'))
        batch_op.drop_index(batch_op.f('ix_commitment_candidate_id'))

    op.drop_table('commitment')
