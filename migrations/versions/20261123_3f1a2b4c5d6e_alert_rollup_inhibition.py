"""alert roll-ups and inhibition: is_rollup, muted_by_id

Revision ID: 3f1a2b4c5d6e
Revises: 9a281a5f80f7
Create Date: 2026-11-23 06:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f1a2b4c5d6e"
down_revision: str | None = "9a281a5f80f7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "is_rollup",
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
                comment="a regional alert bundling country alerts (details.members)",
            )
        )
        batch_op.add_column(
            sa.Column(
                "muted_by_id",
                sa.Integer(),
                nullable=True,
                comment="the firing higher-severity alert of the same region and theme muting it",
            )
        )
        batch_op.create_index(batch_op.f("ix_alert_muted_by_id"), ["muted_by_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_alert_muted_by_id_alert"),
            "alert",
            ["muted_by_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_alert_muted_by_id_alert"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_alert_muted_by_id"))
        batch_op.drop_column("muted_by_id")
        batch_op.drop_column("is_rollup")
