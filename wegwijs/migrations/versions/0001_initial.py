"""The first schema: conversations, feedback, message links, accounts, login attempts.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wegwijs_exchanges",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("conversation_id", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True)),
        sa.Column("question", sa.Text()),
        sa.Column("answer", sa.Text()),
        sa.Column("route", sa.String(32)),
        sa.Column("strategy", sa.String(32)),
        sa.Column("crisis_kind", sa.String(32), nullable=True),
        sa.Column("low_confidence", sa.Boolean()),
        sa.Column("latency_ms", sa.Float()),
        sa.Column("citations", sa.Text()),
    )
    op.create_index(
        "ix_wegwijs_exchanges_conversation_id", "wegwijs_exchanges", ["conversation_id"]
    )
    op.create_index("ix_wegwijs_exchanges_created_at", "wegwijs_exchanges", ["created_at"])
    op.create_table(
        "wegwijs_feedback",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("exchange_id", sa.String(32)),
        sa.Column("created_at", sa.DateTime(timezone=True)),
        sa.Column("value", sa.Integer()),
        sa.Column("comment", sa.Text()),
    )
    op.create_index("ix_wegwijs_feedback_exchange_id", "wegwijs_feedback", ["exchange_id"])
    op.create_table(
        "wegwijs_message_links",
        sa.Column("message_id", sa.String(64), primary_key=True),
        sa.Column("exchange_id", sa.String(32)),
    )
    op.create_index(
        "ix_wegwijs_message_links_exchange_id", "wegwijs_message_links", ["exchange_id"]
    )
    op.create_table(
        "wegwijs_users",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("password_hash", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True)),
        sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_table(
        "wegwijs_login_attempts",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("window_start", sa.Float(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "wegwijs_login_attempts",
        "wegwijs_users",
        "wegwijs_message_links",
        "wegwijs_feedback",
        "wegwijs_exchanges",
    ):
        op.drop_table(table)
