"""notifications: subscriptions, silences, delivery log and the event cursor

Revision ID: 7c8d9e0f1a2b
Revises: 3f1a2b4c5d6e
Create Date: 2026-11-23 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c8d9e0f1a2b"
down_revision: str | None = "3f1a2b4c5d6e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notify_cursor",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "gaps",
            sa.JSON(),
            nullable=False,
            comment="id ranges passed while missing, looked for again (see notify.gaps)",
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_notify_cursor")),
    )
    op.create_table(
        "notify_silence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "rule", sa.String(length=100), nullable=True, comment="rule name; null matches any"
        ),
        sa.Column(
            "region",
            sa.String(length=16),
            nullable=True,
            comment="ISO3 or M49_nnn (covers the countries below); null matches any",
        ),
        sa.Column("severity", sa.String(length=16), nullable=True),
        sa.Column("theme", sa.String(length=64), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_silence")),
    )
    with op.batch_alter_table("notify_silence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notify_silence_ends_at"), ["ends_at"], unique=False)
    op.create_table(
        "notify_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False, comment="username of the author"),
        sa.Column("channel", sa.String(length=16), nullable=False, comment="webhook or email"),
        sa.Column(
            "target",
            sa.String(length=500),
            nullable=False,
            comment="webhook URL (may hold a token) or e-mail address",
        ),
        sa.Column(
            "regions",
            sa.JSON(),
            nullable=False,
            comment="ISO3 or M49_nnn codes; empty means every region",
        ),
        sa.Column("min_severity", sa.String(length=16), nullable=False),
        sa.Column("themes", sa.JSON(), nullable=False, comment="theme labels; empty means any"),
        sa.Column("states", sa.JSON(), nullable=False, comment="alert states that notify"),
        sa.Column(
            "grace_minutes", sa.Integer(), nullable=False, comment="no repeat within this time"
        ),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_subscription")),
    )
    op.create_table(
        "notify_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=True),
        sa.Column("silence_id", sa.Integer(), nullable=True),
        sa.Column(
            "event_id", sa.Integer(), nullable=False, comment="the alert event that caused it"
        ),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("alert_state", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False, comment="what the message says"),
        sa.Column("status", sa.String(length=16), nullable=False, comment="pending .. silenced"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["silence_id"],
            ["notify_silence.id"],
            name=op.f("fk_notify_delivery_silence_id_notify_silence"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["notify_subscription.id"],
            name=op.f("fk_notify_delivery_subscription_id_notify_subscription"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_delivery")),
    )
    with op.batch_alter_table("notify_delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notify_delivery_status"), ["status"], unique=False)
        batch_op.create_index(
            "ix_notify_delivery_subscription_fingerprint",
            ["subscription_id", "fingerprint"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("notify_delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_notify_delivery_subscription_fingerprint")
        batch_op.drop_index(batch_op.f("ix_notify_delivery_status"))
    op.drop_table("notify_delivery")
    op.drop_table("notify_subscription")
    with op.batch_alter_table("notify_silence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notify_silence_ends_at"))
    op.drop_table("notify_silence")
    op.drop_table("notify_cursor")
