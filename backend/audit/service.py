"""Record audit entries; secrets never reach the log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from enum import Enum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.audit.schemas import AuditPage, AuditQuery, AuditRead
from backend.timeutil import as_utc, utcnow
from backend.users.models import AuditEntry, User

# Keys dropped from before/after wherever they appear: a caller's slip must not leak a secret.
SECRET_KEYS = frozenset(
    {"password", "password_hash", "token", "token_hash", "secret", "secret_key", "api_key"}
)
REDACTED = "[redacted]"


def _json_safe(value: object) -> object:
    """Return value with datetimes as ISO strings, enums as values and secrets redacted."""
    if isinstance(value, Mapping):
        return {
            str(k): REDACTED if str(k).lower() in SECRET_KEYS else _json_safe(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_safe(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return _json_safe(value.value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def scrub(state: Mapping[str, object] | None) -> dict[str, object] | None:
    """Return a JSON-safe copy of a before/after state with secret fields redacted."""
    if state is None:
        return None
    safe = _json_safe(state)
    return safe if isinstance(safe, dict) else None


def record(
    *,
    session: Session,
    actor: User | str,
    action: str,
    entity: str,
    entity_id: object = None,
    before: Mapping[str, object] | None = None,
    after: Mapping[str, object] | None = None,
    note: str | None = None,
) -> AuditEntry:
    """Add an audit entry: actor is a User or a name such as ``system:cli``."""
    actor_id, actor_name = (actor.id, actor.username) if isinstance(actor, User) else (None, actor)
    entry = AuditEntry(
        at=utcnow(),
        actor_id=actor_id,
        actor=actor_name,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        before=scrub(before),
        after=scrub(after),
        note=note,
    )
    session.add(entry)
    session.flush()
    return entry


def list_entries(
    *, session: Session, entity: str | None = None, entity_id: object = None, limit: int = 100
) -> Sequence[AuditEntry]:
    """Return the newest audit entries first, optionally for one entity (and one id)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(max(1, min(limit, 1000)))
    if entity is not None:
        query = query.where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == str(entity_id))
    return session.scalars(query).all()


def page_entries(session: Session, *, query: AuditQuery) -> AuditPage:
    """Return one page of the audit log, newest first, with the total that matched."""
    where = [
        column == value
        for column, value in (
            (AuditEntry.entity, query.entity),
            (AuditEntry.entity_id, query.entity_id),
            (AuditEntry.actor, query.actor),
            (AuditEntry.action, query.action),
        )
        if value is not None
    ]
    if query.since is not None:
        where.append(AuditEntry.at >= as_utc(query.since))
    if query.until is not None:
        where.append(AuditEntry.at < as_utc(query.until))
    total = session.scalar(select(func.count()).select_from(AuditEntry).where(*where)) or 0
    rows = session.scalars(
        select(AuditEntry)
        .where(*where)
        .order_by(AuditEntry.id.desc())
        .offset((query.page - 1) * query.page_size)
        .limit(query.page_size)
    )
    items = [AuditRead.model_validate(row) for row in rows]
    return AuditPage(items=items, total=total, page=query.page, page_size=query.page_size)
