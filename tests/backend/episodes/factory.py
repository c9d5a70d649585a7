"""Path ids for the authorization matrix: a reference episode to change, a region to judge."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.regions.models import Region
from backend.rules.models import ReferenceEpisode

REGION = "HND"


def episode_ids(session: Session) -> dict[str, object]:
    """Insert a reference episode of HND (which must exist); return the path ids."""
    region_id = session.scalars(select(Region.id).where(Region.code == REGION)).one()
    episode = ReferenceEpisode(
        region_id=region_id, onset_period="2008", label="matrix", created_by="t",
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    session.add(episode)
    session.flush()
    return {"episode_id": episode.id, "code": REGION}
