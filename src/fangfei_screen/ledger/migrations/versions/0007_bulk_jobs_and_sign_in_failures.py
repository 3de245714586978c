"""Bulk jobs and their queue, and sign-in failures, shared by every worker of `serve` (issue 19).

Revision ID: 0007
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bulk_jobs',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('suffix', sa.String(length=16), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('created', sa.Float(), nullable=False),
    sa.Column('queued', sa.Float(), nullable=True),
    sa.Column('worker', sa.String(length=200), nullable=True),
    sa.Column('lease', sa.Float(), nullable=True),
    sa.Column('data', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulk_jobs'))
    )
    op.create_index(op.f('ix_bulk_jobs_state'), 'bulk_jobs', ['state'], unique=False)
    op.create_index(op.f('ix_bulk_jobs_unit'), 'bulk_jobs', ['unit'], unique=False)
    op.create_table('sign_in_failures',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('last', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_sign_in_failures'))
    )


def downgrade() -> None:
    op.drop_table('sign_in_failures')
    op.drop_index(op.f('ix_bulk_jobs_unit'), table_name='bulk_jobs')
    op.drop_index(op.f('ix_bulk_jobs_state'), table_name='bulk_jobs')
    op.drop_table('bulk_jobs')
