"""The monthly cycle (issue 18): which rows of a file were a unit's, the source of its
clues, hand-recorded clues' Attachment 2 facts, the months sent to the county, and key
old cases.

Revision ID: 0003
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('batches') as batch:
        batch.add_column(sa.Column('selection', sa.String(length=200), nullable=False, server_default=''))
        batch.add_column(sa.Column('source', sa.String(length=50), nullable=False, server_default=''))
        batch.add_column(sa.Column('kind', sa.String(length=20), nullable=False, server_default='screening'))
    op.create_table('clue_facts',
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('origin', sa.String(length=50), nullable=False),
    sa.Column('subject_kind', sa.String(length=20), nullable=False, server_default='entity'),
    sa.Column('category', sa.String(length=200), nullable=False, server_default=''),
    sa.Column('method', sa.String(length=200), nullable=False, server_default=''),
    sa.Column('found_on', sa.String(length=10), nullable=False, server_default=''),
    sa.Column('region', sa.String(length=200), nullable=False, server_default=''),
    sa.Column('amount', sa.String(length=40), nullable=False, server_default=''),
    sa.Column('people', sa.String(length=40), nullable=False, server_default=''),
    sa.Column('internet', sa.String(length=40), nullable=False, server_default=''),
    sa.Column('illegal', sa.String(length=40), nullable=False, server_default=''),
    sa.Column('path', sa.String(length=40), nullable=False, server_default=''),
    sa.Column('case_date', sa.String(length=10), nullable=False, server_default=''),
    sa.Column('charge', sa.String(length=200), nullable=False, server_default=''),
    sa.Column('remark', sa.Text(), nullable=False, server_default=''),
    sa.Column('by', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['key'], ['entities.key'], name=op.f('fk_clue_facts_key_entities')),
    sa.PrimaryKeyConstraint('key', 'month', name=op.f('pk_clue_facts'))
    )
    op.create_table('submissions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('content_sha', sa.String(length=64), nullable=False),
    sa.Column('attachment2', sa.LargeBinary(), nullable=False),
    sa.Column('attachment2_sha', sa.String(length=64), nullable=False),
    sa.Column('attachment3', sa.LargeBinary(), nullable=False),
    sa.Column('attachment3_sha', sa.String(length=64), nullable=False),
    sa.Column('rows2', sa.Integer(), nullable=False),
    sa.Column('rows3', sa.Integer(), nullable=False),
    sa.Column('by', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submissions'))
    )
    op.create_index('ix_submissions_unit_month', 'submissions', ['unit', 'month'], unique=False)
    op.create_table('key_cases',
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('reason', sa.String(length=100), nullable=False),
    sa.Column('since', sa.String(length=10), nullable=False),
    sa.Column('amount', sa.String(length=40), nullable=False, server_default=''),
    sa.Column('leader', sa.String(length=200), nullable=False),
    sa.Column('supervised', sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column('by', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['key'], ['entities.key'], name=op.f('fk_key_cases_key_entities')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_key_cases'))
    )


def downgrade() -> None:
    op.drop_table('key_cases')
    op.drop_index('ix_submissions_unit_month', table_name='submissions')
    op.drop_table('submissions')
    op.drop_table('clue_facts')
    with op.batch_alter_table('batches') as batch:
        batch.drop_column('kind')
        batch.drop_column('source')
        batch.drop_column('selection')

