"""The audit log: who did what, with JSON-safe before/after and no secrets."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum

import pytest
from sqlalchemy.orm import Session

from backend.audit.service import REDACTED, list_entries, record, scrub
from backend.timeutil import utcnow
from backend.users.models import User


class Colour(StrEnum):
    red = "red"


def _user(session: Session) -> User:
    user = User(username="auditor", password_hash="x", role="admin", created_at=utcnow())
    session.add(user)
    session.flush()
    return user


def test_record_a_user_action(session: Session) -> None:
    user = _user(session)
    entry = record(
        session=session,
        actor=user,
        action="rule.update",
        entity="rule",
        entity_id=7,
        before={"threshold": 1},
        after={"threshold": 2},
        note="tuned",
    )
    session.expire_all()
    (read,) = list_entries(session=session, entity="rule", entity_id=7)
    assert read.id == entry.id
    assert (read.actor_id, read.actor, read.action, read.entity_id) == (
        user.id,
        "auditor",
        "rule.update",
        "7",
    )
    assert (read.before, read.after, read.note) == ({"threshold": 1}, {"threshold": 2}, "tuned")
    assert read.at is not None


def test_record_a_system_action(session: Session) -> None:
    entry = record(
        session=session, actor="system:scheduler", action="source.disable", entity="source"
    )
    assert (entry.actor_id, entry.actor, entry.entity_id, entry.before) == (
        None,
        "system:scheduler",
        None,
        None,
    )


def test_list_entries_newest_first(session: Session) -> None:
    for n in range(3):
        record(session=session, actor="t", action=f"a{n}", entity="probe")
    assert [e.action for e in list_entries(session=session, entity="probe")] == ["a2", "a1", "a0"]
    assert len(list_entries(session=session, entity="probe", limit=2)) == 2


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ({"password": "hunter2", "role": "admin"}, {"password": REDACTED, "role": "admin"}),
        (
            {"Token_Hash": "abc", "nested": {"api_key": "k", "ok": 1}},
            {"Token_Hash": REDACTED, "nested": {"api_key": REDACTED, "ok": 1}},
        ),
        (
            {"at": datetime(2024, 1, 2, 3, 4, tzinfo=UTC), "day": date(2024, 1, 2)},
            {"at": "2024-01-02T03:04:00+00:00", "day": "2024-01-02"},
        ),
        (
            {"tags": ("a", "b"), "colour": Colour.red, "n": None},
            {"tags": ["a", "b"], "colour": "red", "n": None},
        ),
        ({"odd": object}, {"odd": str(object)}),
    ],
)
def test_scrub_makes_states_json_safe_and_secret_free(
    state: dict[str, object], expected: dict[str, object]
) -> None:
    assert scrub(state) == expected


def test_secrets_never_reach_the_table(session: Session) -> None:
    entry = record(
        session=session,
        actor="t",
        action="x",
        entity="user",
        after={"username": "u", "password": "hunter2", "token": "tocsin_abc"},
    )
    session.expire_all()
    (read,) = list_entries(session=session, entity="user", entity_id=None, limit=1)
    assert read.id == entry.id
    assert "hunter2" not in repr(read.after) and "tocsin_abc" not in repr(read.after)
