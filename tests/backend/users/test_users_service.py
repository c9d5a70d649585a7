"""Users and tokens at the service level, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from backend import migrate
from backend.config import Environment, Settings
from backend.context import build_context
from backend.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from backend.timeutil import utcnow
from backend.users import security, service
from backend.users.models import ApiToken, AuditEntry, User

PASSWORD = "correct horse battery staple"


def _user(session: Session, name: str = "ana", role: str = "analyst") -> User:
    return service.create_user(
        session=session, actor="test", username=name, password=PASSWORD, role=role
    )


def test_create_user_stores_only_an_argon2id_hash(session: Session) -> None:
    user = _user(session, " Ana ")
    assert user.username == "ana"
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert service.find_user(session=session, username="ANA") is user


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"username": "ana"}, Conflict),
        ({"username": "bob", "role": "boss"}, InvalidInput),
        ({"username": "bob", "password": "short"}, InvalidInput),
    ],
)
def test_create_user_refuses(session: Session, kwargs: dict[str, str], error: type) -> None:
    _user(session)
    values = {"password": PASSWORD, "role": "viewer"} | kwargs
    with pytest.raises(error):
        service.create_user(session=session, actor="test", **values)


def test_tokens_are_stored_hashed_and_never_in_plaintext(session: Session) -> None:
    user = _user(session)
    token, secret = service.issue_token(session=session, actor=user, user=user, name="cli")
    assert token.token_hash == security.hash_token(secret)
    dump = " ".join(
        str(row)
        for table in ("api_token", "audit_log")
        for row in session.execute(text(f"SELECT * FROM {table}")).all()  # noqa: S608
    )
    assert secret not in dump
    assert token.token_hash not in " ".join(
        str(row) for row in session.execute(text("SELECT * FROM audit_log")).all()
    )


def test_token_role_defaults_to_the_user_and_never_exceeds_it(session: Session) -> None:
    user = _user(session)
    token, _ = service.issue_token(session=session, actor="test", user=user, name="a")
    assert token.role == "analyst"
    low, _ = service.issue_token(session=session, actor="t", user=user, name="b", role="viewer")
    assert low.role == "viewer"
    with pytest.raises(InvalidInput, match="cannot carry role admin"):
        service.issue_token(session=session, actor="test", user=user, name="c", role="admin")


def test_token_role_is_capped_by_the_callers_ceiling(session: Session) -> None:
    user = _user(session)
    capped, _ = service.issue_token(
        session=session, actor=user, user=user, name="a", ceiling="viewer"
    )
    assert capped.role == "viewer"
    with pytest.raises(Forbidden):
        service.issue_token(
            session=session, actor=user, user=user, name="b", role="analyst", ceiling="viewer"
        )


def test_authenticate_returns_the_user_and_token(session: Session) -> None:
    user = _user(session)
    token, secret = service.issue_token(session=session, actor="test", user=user, name="a")
    assert service.authenticate(session=session, secret=secret) == (user, token)


@pytest.mark.parametrize("secret", ["", "nonsense", "tocsin_" + "x" * 43])
def test_authenticate_refuses_unknown_secrets(session: Session, secret: str) -> None:
    with pytest.raises(Unauthorized, match="Invalid token"):
        service.authenticate(session=session, secret=secret)


def test_authenticate_refuses_revoked_expired_and_disabled(session: Session) -> None:
    user = _user(session)
    _admin = _user(session, "root", "admin")
    revoked, r_secret = service.issue_token(session=session, actor="t", user=user, name="r")
    service.revoke_token(session=session, actor="t", token=revoked)
    past = utcnow() - timedelta(seconds=1)
    _, e_secret = service.issue_token(
        session=session, actor="t", user=user, name="e", expires_at=past
    )
    _, d_secret = service.issue_token(session=session, actor="t", user=user, name="d")
    for secret, reason in ((r_secret, "revoked"), (e_secret, "expired")):
        with pytest.raises(Unauthorized, match=reason):
            service.authenticate(session=session, secret=secret)
    service.update_user(session=session, actor="t", user=user, is_active=False)
    with pytest.raises(Unauthorized, match="disabled"):
        service.authenticate(session=session, secret=d_secret)


def test_last_used_is_written_at_most_once_a_minute(session: Session) -> None:
    user = _user(session)
    token, secret = service.issue_token(session=session, actor="t", user=user, name="a")
    start = utcnow()
    service.authenticate(session=session, secret=secret, now=start)
    for seconds in (1, 30, 59):
        service.authenticate(session=session, secret=secret, now=start + timedelta(seconds=seconds))
        assert service._utc(token.last_used_at) == start
    later = start + timedelta(seconds=61)
    service.authenticate(session=session, secret=secret, now=later)
    assert service._utc(token.last_used_at) == later


def test_login_issues_an_expiring_session_token(session: Session) -> None:
    user = _user(session)
    token, secret = service.login(session=session, username="ANA", password=PASSWORD)
    assert token.name == "session" and token.user_id == user.id and token.role == "analyst"
    assert token.expires_at is not None
    assert service._utc(token.expires_at) > utcnow() + timedelta(hours=11)
    assert service.authenticate(session=session, secret=secret)[0] is user


@pytest.mark.parametrize(
    ("username", "password"), [("ana", "wrong password!"), ("nobody", PASSWORD)]
)
def test_login_refuses_bad_credentials_alike(
    session: Session, username: str, password: str
) -> None:
    _user(session)
    with pytest.raises(Unauthorized, match="Invalid username or password"):
        service.login(session=session, username=username, password=password)


def test_login_refuses_a_disabled_user(session: Session) -> None:
    user = _user(session)
    _user(session, "root", "admin")
    service.update_user(session=session, actor="t", user=user, is_active=False)
    with pytest.raises(Unauthorized):
        service.login(session=session, username="ana", password=PASSWORD)


def test_login_upgrades_a_weak_hash(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    user = _user(session)
    old_hash = user.password_hash
    monkeypatch.setattr(security, "needs_rehash", lambda _hash: True)
    service.login(session=session, username="ana", password=PASSWORD)
    assert user.password_hash != old_hash
    assert security.verify_password(user.password_hash, PASSWORD)


def test_the_last_active_admin_cannot_be_demoted_or_disabled(session: Session) -> None:
    first = _user(session, "root", "admin")
    for change in ({"role": "viewer"}, {"is_active": False}):
        with pytest.raises(Conflict, match="last active admin"):
            service.update_user(session=session, actor="t", user=first, **change)  # type: ignore[arg-type]
    _user(session, "root2", "admin")
    assert (
        service.update_user(session=session, actor="t", user=first, role="viewer").role == "viewer"
    )


def test_update_records_before_and_after_and_skips_no_ops(session: Session) -> None:
    user = _user(session)
    service.update_user(session=session, actor="t", user=user, role="viewer")
    service.update_user(session=session, actor="t", user=user, role="viewer")
    entries = session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "user.update", AuditEntry.entity_id == str(user.id)
        )
    ).all()
    assert len(entries) == 1
    assert entries[0].before is not None and entries[0].before["role"] == "analyst"
    assert entries[0].after is not None and entries[0].after["role"] == "viewer"


def test_revoke_is_idempotent(session: Session) -> None:
    user = _user(session)
    token, _ = service.issue_token(session=session, actor="t", user=user, name="a")
    first = service.revoke_token(session=session, actor="t", token=token).revoked_at
    assert service.revoke_token(session=session, actor="t", token=token).revoked_at == first
    actions = session.scalars(
        select(AuditEntry.action).where(
            AuditEntry.entity == "token", AuditEntry.entity_id == str(token.id)
        )
    ).all()
    assert sorted(actions) == ["token.create", "token.revoke"]


def test_list_tokens_hides_inactive_unless_asked(session: Session) -> None:
    user = _user(session)
    live, _ = service.issue_token(session=session, actor="t", user=user, name="live")
    dead, _ = service.issue_token(session=session, actor="t", user=user, name="dead")
    service.revoke_token(session=session, actor="t", token=dead)
    past = utcnow() - timedelta(minutes=1)
    service.issue_token(session=session, actor="t", user=user, name="old", expires_at=past)
    assert list(service.list_tokens(session=session, user_id=user.id)) == [live]
    every = service.list_tokens(session=session, user_id=user.id, include_inactive=True)
    assert [t.name for t in every] == ["old", "dead", "live"]


def test_missing_things_are_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        service.get_user(session=session, user_id=999_999)
    with pytest.raises(NotFound):
        service.get_token(session=session, token_id=999_999)


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(env=Environment.test, database_url=f"sqlite:///{tmp_path / 'x.db'}", **values)


def test_ensure_initial_admin(session: Session, tmp_path: Path) -> None:
    assert service.ensure_initial_admin(session=session, settings=_settings(tmp_path)) is None
    settings = _settings(tmp_path, admin_password=PASSWORD)
    admin = service.ensure_initial_admin(session=session, settings=settings)
    assert admin is not None and admin.username == "admin" and admin.role == "admin"
    assert security.verify_password(admin.password_hash, PASSWORD)
    assert service.ensure_initial_admin(session=session, settings=settings) is None


def test_bootstrap_admin_commits_once(tmp_path: Path) -> None:
    settings = _settings(tmp_path, admin_password=PASSWORD)
    migrate.upgrade(settings.database_url)
    context = build_context(settings)
    try:
        assert service.bootstrap_admin(context) is not None
        assert service.bootstrap_admin(context) is None
        with context.sessions() as session:
            assert session.scalars(select(User.username)).all() == ["admin"]
            assert session.scalars(select(ApiToken)).all() == []
    finally:
        context.dispose()
