"""Licence reviews: a reviewer's finding on the licence of an entity whose name declares
a licensed kind of institution (verify_licence), licensed with its number and issuer, or not.

Revision ID: 0005
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('licence_reviews',
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('licensed', sa.Boolean(), nullable=False),
    sa.Column('licence_no', sa.String(length=200), nullable=False),
    sa.Column('issuer', sa.String(length=200), nullable=False),
    sa.Column('by', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['key'], ['entities.key'], name=op.f('fk_licence_reviews_key_entities')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_licence_reviews'))
    )


def downgrade() -> None:
    op.drop_table('licence_reviews')
