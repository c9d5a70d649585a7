"""Analysts' judgements per region: the history, and adding one (audited)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.audit.service import record
from backend.judgements.schemas import JudgementCreate, JudgementPage, JudgementRead
from backend.regions.queries import find_region
from backend.rules.models import Judgement
from backend.timeutil import utcnow
from backend.users.models import User


def _read(row: Judgement, code: str) -> JudgementRead:
    fields = {k: getattr(row, k) for k in ("id", "verdict", "text", "author", "created_at")}
    return JudgementRead.model_validate(fields | {"region": code})


def list_judgements(*, session: Session, code: str) -> JudgementPage:
    """Return a region's judgements, newest first (NotFound for an unknown region)."""
    region = find_region(session, code=code)
    query = (
        select(Judgement)
        .where(Judgement.region_id == region.id)
        .order_by(Judgement.created_at.desc(), Judgement.id.desc())
    )
    items = [_read(row, region.code) for row in session.scalars(query)]
    return JudgementPage(items=items, total=len(items))


def add_judgement(
    *, session: Session, code: str, data: JudgementCreate, actor: User
) -> JudgementRead:
    """Store an analyst's judgement of a region and audit it."""
    region = find_region(session, code=code)
    row = Judgement(
        region_id=region.id, verdict=data.verdict, text=data.text, author=actor.username,
        created_at=utcnow(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    created = _read(row, region.code)
    record(session=session, actor=actor, action="judgement.create", entity="judgement",
           entity_id=row.id, after=created.model_dump(exclude={"id", "created_at"}))  # fmt: skip
    return created
