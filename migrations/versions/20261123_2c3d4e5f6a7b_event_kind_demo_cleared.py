"""event kind demo_cleared: the column comment lists the new kind

Revision ID: 2c3d4e5f6a7b
Revises: 1b2c3d4e5f6a
Create Date: 2026-11-23 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2c3d4e5f6a7b"
down_revision: str | None = "1b2c3d4e5f6a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD, NEW = "alert, ingest_run", "alert, ingest_run, demo_cleared"


def _comment(comment: str, existing: str) -> None:
    # SQLite keeps no column comments: nothing to change there.
    if op.get_bind().dialect.name == "sqlite":
        return
    op.alter_column(
        "event", "kind", comment=comment, existing_comment=existing,
        existing_type=sa.String(32), existing_nullable=False,
    )  # fmt: skip


def upgrade() -> None:
    _comment(NEW, OLD)


def downgrade() -> None:
    _comment(OLD, NEW)
