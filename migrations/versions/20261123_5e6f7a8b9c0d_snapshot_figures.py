"""snapshot figures: PNGs kept with the snapshot at its first export

Revision ID: 5e6f7a8b9c0d
Revises: 7c8d9e0f1a2b
Create Date: 2026-11-23 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e6f7a8b9c0d"
down_revision: str | None = "7c8d9e0f1a2b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "snapshot_figure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column(
            "name", sa.String(length=40), nullable=False, comment="heatmap, timeline, movers"
        ),
        sa.Column("png", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["snapshot.id"],
            name=op.f("fk_snapshot_figure_snapshot_id_snapshot"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snapshot_figure")),
        sa.UniqueConstraint("snapshot_id", "name", name=op.f("uq_snapshot_figure_snapshot_id")),
    )


def downgrade() -> None:
    op.drop_table("snapshot_figure")
