"""ingest run rows dropped; document kinds include press_statement

Revision ID: 9a281a5f80f7
Revises: ea47f7b8bb48
Create Date: 2026-11-23 04:32:44.439525
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9a281a5f80f7"
down_revision: str | None = "ea47f7b8bb48"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = "meeting, resolution, prst, press"
NEW_KINDS = "meeting, resolution, prst, press, press_statement"


def upgrade() -> None:
    with op.batch_alter_table("ingest_run", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "rows_dropped",
                sa.Integer(),
                server_default="0",
                nullable=False,
                comment="aggregates left out on purpose",
            )
        )
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.alter_column(
            "kind",
            existing_type=sa.String(32),
            comment=NEW_KINDS,
            existing_comment=OLD_KINDS,
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.alter_column(
            "kind",
            existing_type=sa.String(32),
            comment=OLD_KINDS,
            existing_comment=NEW_KINDS,
            existing_nullable=False,
        )
    with op.batch_alter_table("ingest_run", schema=None) as batch_op:
        batch_op.drop_column("rows_dropped")
