"""Sessions of the pages and the list in use, shared by every worker of `serve` (issue 19).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('web_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_name', sa.String(length=200), nullable=False),
    sa.Column('csrf', sa.String(length=64), nullable=False),
    sa.Column('created', sa.Float(), nullable=False),
    sa.Column('seen', sa.Float(), nullable=False),
    sa.Column('ended', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_sessions'))
    )
    op.create_index(op.f('ix_web_sessions_user_name'), 'web_sessions', ['user_name'], unique=False)
    op.create_table('lists_in_use',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('list_version', sa.String(length=200), nullable=False),
    sa.Column('list_sha256', sa.String(length=64), nullable=False),
    sa.Column('at', sa.Float(), nullable=False),
    sa.Column('by', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lists_in_use'))
    )


def downgrade() -> None:
    op.drop_table('lists_in_use')
    op.drop_index(op.f('ix_web_sessions_user_name'), table_name='web_sessions')
    op.drop_table('web_sessions')
