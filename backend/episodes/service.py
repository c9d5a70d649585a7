"""Reference episodes: list, add, change, remove and import them; hand them to scoring.

Every write leaves an audit entry. Regions are given as any spelling the region alias
table knows (ISO3, M49 number, English or local name) and stored by id.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from backend.audit.service import record
from backend.episodes.csv_rows import parse_rows
from backend.episodes.schemas import (
    EpisodeCreate,
    EpisodePage,
    EpisodeQuery,
    EpisodeRead,
    EpisodeUpdate,
)
from backend.errors import InvalidInput, NotFound
from backend.regions.models import Region
from backend.regions.service import RegionResolver
from backend.rules.models import ReferenceEpisode
from backend.timeutil import utcnow
from backend.users.models import User
from rules.scoring import Episode

Actor = User | str
ENTITY = "episode"


def _actor_name(actor: Actor) -> str:
    return actor.username if isinstance(actor, User) else actor


def _read_query() -> Select[ReferenceEpisode, str, str]:
    return select(ReferenceEpisode, Region.code, Region.name).join(
        Region, Region.id == ReferenceEpisode.region_id
    )


def _to_read(row: ReferenceEpisode, code: str, name: str) -> EpisodeRead:
    fields = {k: getattr(row, k) for k in ("id", "onset_period", "label", "theme", "note")}
    return EpisodeRead(
        **fields, region=code, region_name=name, created_by=row.created_by,
        created_at=row.created_at,
    )  # fmt: skip


def _audit_state(read: EpisodeRead) -> dict[str, object]:
    return read.model_dump(include={"region", "onset_period", "label", "theme", "note"})


def list_episodes(*, session: Session, query: EpisodeQuery) -> EpisodePage:
    """Return one page of episodes, by region code then onset, with the total."""
    stmt = _read_query()
    if query.region is not None:
        stmt = stmt.where(Region.code == query.region.upper())
    if query.theme is not None:
        stmt = stmt.where(ReferenceEpisode.theme == query.theme)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = stmt.order_by(Region.code, ReferenceEpisode.onset_period, ReferenceEpisode.id)
    page = page.offset((query.page - 1) * query.page_size).limit(query.page_size)
    items = [_to_read(*row) for row in session.execute(page)]
    return EpisodePage(items=items, total=total, page=query.page, page_size=query.page_size)


def get_episode(*, session: Session, episode_id: int) -> EpisodeRead:
    """Return one episode, or raise NotFound."""
    row = session.execute(_read_query().where(ReferenceEpisode.id == episode_id)).first()
    if row is None:
        raise NotFound(f"No reference episode {episode_id}")
    return _to_read(*row)


def _region_id(session: Session, text: str) -> int:
    found = RegionResolver.from_session(session).resolve(text)
    if found is None:
        raise InvalidInput(f"Unknown region {text!r}: give an ISO3 code or a known name")
    return found


def _add(session: Session, data: EpisodeCreate, region_id: int, actor: Actor) -> int:
    row = ReferenceEpisode(
        region_id=region_id, created_by=_actor_name(actor), created_at=utcnow(),
        **data.model_dump(exclude={"region"}),
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row.id


def create_episode(*, session: Session, data: EpisodeCreate, actor: Actor) -> EpisodeRead:
    """Add an episode (InvalidInput when the region is unknown) and audit it."""
    episode_id = _add(session, data, _region_id(session, data.region), actor)
    created = get_episode(session=session, episode_id=episode_id)
    record(session=session, actor=actor, action="episode.create", entity=ENTITY,
           entity_id=episode_id, after=_audit_state(created))  # fmt: skip
    return created


def update_episode(
    *, session: Session, episode_id: int, changes: EpisodeUpdate | EpisodeCreate, actor: Actor
) -> EpisodeRead:
    """Change the fields given (all of them for a full replacement) and audit the change."""
    before = get_episode(session=session, episode_id=episode_id)
    # A replacement (EpisodeCreate) sets every field, a PATCH only those it was sent.
    values: dict[str, Any] = changes.model_dump(exclude_unset=isinstance(changes, EpisodeUpdate))
    row = session.get_one(ReferenceEpisode, episode_id)
    if "region" in values:
        row.region_id = _region_id(session, values.pop("region"))
    for name, value in values.items():
        setattr(row, name, value)
    session.flush()
    after = get_episode(session=session, episode_id=episode_id)
    record(session=session, actor=actor, action="episode.update", entity=ENTITY,
           entity_id=episode_id, before=_audit_state(before),
           after=_audit_state(after))  # fmt: skip
    return after


def delete_episode(*, session: Session, episode_id: int, actor: Actor) -> None:
    """Remove an episode (NotFound when there is none) and audit it."""
    before = get_episode(session=session, episode_id=episode_id)
    session.delete(session.get_one(ReferenceEpisode, episode_id))
    session.flush()
    record(session=session, actor=actor, action="episode.delete", entity=ENTITY,
           entity_id=episode_id, before=_audit_state(before))  # fmt: skip


def import_csv(*, session: Session, text: str, actor: Actor) -> list[EpisodeRead]:
    """Add every episode of a CSV text, or none: InvalidInput lists each bad line."""
    rows = parse_rows(text, RegionResolver.from_session(session).resolve)
    ids = [_add(session, data, region_id, actor) for data, region_id in rows]
    imported = [get_episode(session=session, episode_id=i) for i in ids]
    record(session=session, actor=actor, action="episode.import", entity=ENTITY,
           after={"count": len(ids), "ids": ids})  # fmt: skip
    return imported


def scoring_episodes(*, session: Session) -> list[Episode]:
    """Return every episode as the scorer takes it: region code and onset period."""
    stmt = select(Region.code, ReferenceEpisode.onset_period).join(
        Region, Region.id == ReferenceEpisode.region_id
    )
    return [Episode(code, onset) for code, onset in session.execute(stmt)]
