"""api read indexes: the alert inbox pages firing alerts newest first from an index

Revision ID: 8d9e0f1a2b3c
Revises: 5e6f7a8b9c0d
Create Date: 2026-11-23 07:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "8d9e0f1a2b3c"
down_revision: str | None = "5e6f7a8b9c0d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # GET /alerts?state=firing sorts by detected_at: without this index the database
    # sorts every firing alert (a temp B-tree on SQLite) to return a page of 50.
    op.create_index("ix_alert_state_detected_at", "alert", ["state", "detected_at"])


def downgrade() -> None:
    op.drop_index("ix_alert_state_detected_at", table_name="alert")
