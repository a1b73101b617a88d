"""WeChat channel: ``wechat_inbound``, one row per callback WeChat delivered (de-duplication of
WeChat's retries by MsgId / FromUserName+CreateTime, the rendered answer, how it was delivered,
and the numbered options it showed).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 09:30:00.000000+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('wechat_inbound',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dedup_key', sa.String(length=160), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('msg_type', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('delivered_via', sa.String(length=8), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wechat_inbound')),
    sa.UniqueConstraint('dedup_key', name=op.f('uq_wechat_inbound_dedup_key'))
    )
    with op.batch_alter_table('wechat_inbound', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wechat_inbound_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_wechat_inbound_openid'), ['openid'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('wechat_inbound', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wechat_inbound_openid'))
        batch_op.drop_index(batch_op.f('ix_wechat_inbound_created_at'))

    op.drop_table('wechat_inbound')
