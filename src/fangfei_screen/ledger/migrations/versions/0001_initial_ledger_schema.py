"""The initial ledger schema: batches, unit_months, entities, clues by month, findings,
disposals, history and users.

Revision ID: 0001
Revises: 
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('batches',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('file_name', sa.String(length=500), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('flagged', sa.Integer(), nullable=False),
    sa.Column('complete', sa.Boolean(), nullable=False),
    sa.Column('list_versions', sa.String(length=500), nullable=False),
    sa.Column('by', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('replaced_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['replaced_by'], ['batches.id'], name=op.f('fk_batches_replaced_by_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_batches'))
    )
    op.create_table('entities',
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=False),
    sa.Column('credit_code', sa.String(length=64), nullable=True),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('first_month', sa.String(length=7), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_entities'))
    )
    with op.batch_alter_table('entities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_entities_unit'), ['unit'], unique=False)

    op.create_table('history',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=200), nullable=False),
    sa.Column('key', sa.String(length=300), nullable=True),
    sa.Column('subject', sa.String(length=20), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('before', sa.Text(), nullable=True),
    sa.Column('after', sa.Text(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_history'))
    )
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_history_key'), ['key'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('token_id', sa.String(length=32), nullable=False),
    sa.Column('token_hash', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('name', name=op.f('uq_users_name')),
    sa.UniqueConstraint('token_id', name=op.f('uq_users_token_id'))
    )
    op.create_table('clue_months',
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=100), nullable=False),
    sa.Column('screened_on', sa.String(length=10), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_clue_months_batch_id_batches')),
    sa.ForeignKeyConstraint(['key'], ['entities.key'], name=op.f('fk_clue_months_key_entities')),
    sa.PrimaryKeyConstraint('key', 'month', name=op.f('pk_clue_months'))
    )
    with op.batch_alter_table('clue_months', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clue_months_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('ix_clue_months_month_state', ['month', 'state'], unique=False)

    op.create_table('disposals',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('measure', sa.String(length=100), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('authority', sa.String(length=200), nullable=False),
    sa.Column('region', sa.String(length=200), nullable=False),
    sa.Column('channel', sa.String(length=200), nullable=False),
    sa.Column('amount', sa.String(length=40), nullable=False),
    sa.Column('unrefunded_amount', sa.String(length=40), nullable=False),
    sa.Column('participants', sa.String(length=40), nullable=False),
    sa.Column('unrefunded_people', sa.String(length=40), nullable=False),
    sa.Column('police', sa.String(length=10), nullable=False),
    sa.Column('case_date', sa.String(length=10), nullable=False),
    sa.Column('admin_finding', sa.Text(), nullable=False),
    sa.Column('penalty_date', sa.String(length=10), nullable=False),
    sa.Column('penalty_type', sa.String(length=100), nullable=False),
    sa.Column('refunded_amount', sa.String(length=40), nullable=False),
    sa.Column('remark', sa.Text(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('by', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['key'], ['entities.key'], name=op.f('fk_disposals_key_entities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disposals')),
    sa.UniqueConstraint('key', 'fingerprint', name='uq_disposals_key_fingerprint')
    )
    with op.batch_alter_table('disposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disposals_key'), ['key'], unique=False)
        batch_op.create_index(batch_op.f('ix_disposals_month'), ['month'], unique=False)

    op.create_table('findings',
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('term', sa.String(length=100), nullable=False),
    sa.Column('field', sa.String(length=10), nullable=False),
    sa.Column('category', sa.Integer(), nullable=False),
    sa.Column('first_month', sa.String(length=7), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_text_sha', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['key'], ['entities.key'], name=op.f('fk_findings_key_entities')),
    sa.PrimaryKeyConstraint('key', 'term', 'field', name=op.f('pk_findings'))
    )
    op.create_table('unit_months',
    sa.Column('unit', sa.String(length=200), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_unit_months_batch_id_batches')),
    sa.PrimaryKeyConstraint('unit', 'month', name=op.f('pk_unit_months'))
    )
    op.create_table('finding_months',
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('term', sa.String(length=100), nullable=False),
    sa.Column('field', sa.String(length=10), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('context', sa.Text(), nullable=False),
    sa.Column('text_sha', sa.String(length=64), nullable=False),
    sa.Column('list_name', sa.String(length=200), nullable=False),
    sa.Column('list_version', sa.String(length=100), nullable=False),
    sa.Column('hit', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_finding_months_batch_id_batches')),
    sa.ForeignKeyConstraint(['key', 'term', 'field'], ['findings.key', 'findings.term', 'findings.field'], name=op.f('fk_finding_months_key_findings')),
    sa.PrimaryKeyConstraint('key', 'term', 'field', 'month', name=op.f('pk_finding_months'))
    )
    with op.batch_alter_table('finding_months', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finding_months_batch_id'), ['batch_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('finding_months', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finding_months_batch_id'))

    op.drop_table('finding_months')
    op.drop_table('unit_months')
    op.drop_table('findings')
    with op.batch_alter_table('disposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disposals_month'))
        batch_op.drop_index(batch_op.f('ix_disposals_key'))

    op.drop_table('disposals')
    with op.batch_alter_table('clue_months', schema=None) as batch_op:
        batch_op.drop_index('ix_clue_months_month_state')
        batch_op.drop_index(batch_op.f('ix_clue_months_batch_id'))

    op.drop_table('clue_months')
    op.drop_table('users')
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_history_key'))

    op.drop_table('history')
    with op.batch_alter_table('entities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entities_unit'))

    op.drop_table('entities')
    op.drop_table('batches')
