"""Users, roles, API and session tokens: create, change, sign in, authenticate, revoke."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from backend.audit.service import record
from backend.config import Settings
from backend.context import AppContext
from backend.db import transaction
from backend.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from backend.timeutil import as_utc, utcnow
from backend.users import security
from backend.users.models import ROLES, ApiToken, User

log = logging.getLogger(__name__)

ROLE_RANK = {name: rank for rank, name in enumerate(ROLES)}
SESSION_TOKEN_NAME = "session"  # noqa: S105 - a label, not a secret
SESSION_TTL = timedelta(hours=12)
# last_used_at is a hint for admins, not a log: one write a minute per token is plenty.
LAST_USED_RESOLUTION = timedelta(minutes=1)
INITIAL_ADMIN = "admin"
Actor = User | str


def role_at_least(role: str, minimum: str) -> bool:
    """Tell whether role ranks at or above minimum (viewer < analyst < admin)."""
    return ROLE_RANK.get(role, -1) >= ROLE_RANK[minimum]


def lower_role(first: str, second: str) -> str:
    """Return the lower-ranked of two roles."""
    return first if ROLE_RANK[first] <= ROLE_RANK[second] else second


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything Tocsin stores is UTC.
    return None if value is None else as_utc(value)


def user_state(user: User) -> dict[str, object]:
    """Return the audit snapshot of a user (never the password hash)."""
    return {
        "username": user.username,
        "email": user.email,
        "role": user.role,
        "is_active": user.is_active,
    }


def token_state(token: ApiToken) -> dict[str, object]:
    """Return the audit snapshot of a token (never the secret or its digest)."""
    return {
        "user_id": token.user_id,
        "name": token.name,
        "role": token.role,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
    }


def _audit(
    session: Session,
    actor: Actor,
    action: str,
    target: User | ApiToken,
    before: dict[str, object] | None = None,
) -> None:
    """Record a change to a user or a token with its state after (and before, if given)."""
    entity, after = (
        ("user", user_state(target)) if isinstance(target, User) else ("token", token_state(target))
    )
    record(
        session=session,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=target.id,
        before=before,
        after=after,
    )


def list_users(*, session: Session) -> Sequence[User]:
    """Return every user by username."""
    return session.scalars(select(User).order_by(User.username)).all()


def get_user(*, session: Session, user_id: int) -> User:
    """Return one user, or raise NotFound."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user {user_id}")
    return user


def find_user(*, session: Session, username: str) -> User | None:
    """Return the user with this username (case-insensitive), if any."""
    return session.scalar(select(User).where(User.username == username.strip().lower()))


def create_user(
    *,
    session: Session,
    actor: Actor,
    username: str,
    password: str,
    role: str,
    email: str | None = None,
) -> User:
    """Create a user with an argon2id password hash and audit it."""
    username = username.strip().lower()
    if role not in ROLE_RANK:
        raise InvalidInput(f"Unknown role {role!r}; known: {', '.join(ROLES)}")
    if len(password) < security.MIN_PASSWORD:
        raise InvalidInput(f"The password needs at least {security.MIN_PASSWORD} characters")
    if find_user(session=session, username=username) is not None:
        raise Conflict(f"User {username!r} already exists")
    user = User(
        username=username,
        email=email,
        role=role,
        is_active=True,
        created_at=utcnow(),
        password_hash=security.hash_password(password),
    )
    session.add(user)
    session.flush()
    _audit(session, actor, "user.create", user)
    return user


def _other_active_admins(session: Session, user: User) -> int:
    query = (
        select(func.count())
        .select_from(User)
        .where(User.role == "admin", User.is_active.is_(True), User.id != user.id)
    )
    return session.scalar(query) or 0


def update_user(
    *,
    session: Session,
    actor: Actor,
    user: User,
    role: str | None = None,
    is_active: bool | None = None,
) -> User:
    """Change a user's role or active flag; the last active admin cannot be removed."""
    before = user_state(user)
    new_role = user.role if role is None else role
    new_active = user.is_active if is_active is None else is_active
    if new_role not in ROLE_RANK:
        raise InvalidInput(f"Unknown role {new_role!r}; known: {', '.join(ROLES)}")
    was_admin = user.role == "admin" and user.is_active
    stays_admin = new_role == "admin" and new_active
    if was_admin and not stays_admin and _other_active_admins(session, user) == 0:
        raise Conflict(f"{user.username!r} is the last active admin; promote another user first")
    user.role, user.is_active = new_role, new_active
    session.flush()
    if user_state(user) != before:
        _audit(session, actor, "user.update", user, before)
    return user


def issue_token(
    *,
    session: Session,
    actor: Actor,
    user: User,
    name: str,
    role: str | None = None,
    ceiling: str | None = None,
    expires_at: datetime | None = None,
    action: str = "token.create",
) -> tuple[ApiToken, str]:
    """Create a token for user and return it with its secret, which is never stored.

    The role defaults to the user's (lowered to ``ceiling``, the caller's own role, when
    given); it may never exceed the user's role, nor the ceiling.
    """
    if not user.is_active:
        raise Conflict(f"User {user.username!r} is disabled")
    cap = user.role if ceiling is None else lower_role(user.role, ceiling)
    role = role or cap
    if not role_at_least(user.role, role):
        raise InvalidInput(f"A token cannot carry role {role}: {user.username!r} is {user.role}")
    if not role_at_least(cap, role):
        raise Forbidden(f"A {cap} token cannot create a {role} token")
    secret = security.new_token()
    token = ApiToken(
        user_id=user.id,
        name=name,
        role=role,
        created_at=utcnow(),
        expires_at=expires_at,
        token_hash=security.hash_token(secret),
    )
    session.add(token)
    session.flush()
    _audit(session, actor, action, token)
    return token, secret


def list_tokens(
    *, session: Session, user_id: int, include_inactive: bool = False, now: datetime | None = None
) -> Sequence[ApiToken]:
    """Return a user's tokens, newest first; revoked and expired ones only when asked."""
    query = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
    if not include_inactive:
        now = now or utcnow()
        query = query.where(
            ApiToken.revoked_at.is_(None),
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
        )
    return session.scalars(query).all()


def get_token(*, session: Session, token_id: int) -> ApiToken:
    """Return one token, or raise NotFound."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"No token {token_id}")
    return token


def revoke_token(
    *, session: Session, actor: Actor, token: ApiToken, action: str = "token.revoke"
) -> ApiToken:
    """Revoke a token now; revoking it again changes nothing and records nothing."""
    if token.revoked_at is not None:
        return token
    before = token_state(token)
    token.revoked_at = utcnow()
    session.flush()
    _audit(session, actor, action, token, before)
    return token


def authenticate(
    *, session: Session, secret: str, now: datetime | None = None
) -> tuple[User, ApiToken]:
    """Return the user and token a bearer secret belongs to, or raise Unauthorized."""
    if not security.looks_like_token(secret):
        raise Unauthorized("Invalid token")
    found = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == security.hash_token(secret))
    ).first()
    if found is None:
        raise Unauthorized("Invalid token")
    token, user = found
    now = now or utcnow()
    refused = token_refusal(
        revoked_at=token.revoked_at, expires_at=token.expires_at, user_active=user.is_active,
        now=now,
    )  # fmt: skip
    if refused:
        raise Unauthorized(refused)
    if last_use_is_stale(token.last_used_at, now):
        _record_use(session, token, now)
    return user, token


def token_refusal(
    *, revoked_at: datetime | None, expires_at: datetime | None, user_active: bool, now: datetime
) -> str | None:
    """Return why a token found by its secret is refused, or None when it is good."""
    if revoked_at is not None:
        return "Token revoked"
    expires = _utc(expires_at)
    if expires is not None and expires <= now:
        return "Token expired"
    if not user_active:
        return "User disabled"
    return None


def last_use_is_stale(last_used_at: datetime | None, now: datetime) -> bool:
    """Tell whether a token's last-used hint is due to be rewritten."""
    last_used = _utc(last_used_at)
    return last_used is None or now - last_used >= LAST_USED_RESOLUTION


def _record_use(session: Session, token: ApiToken, now: datetime) -> None:
    """Note when a token was used: a hint, so a busy database skips it and never fails a read.

    On SQLite a read request's transaction cannot write once another process committed
    since it began reading (an ingest, say); the savepoint keeps the request going.
    """
    try:
        with session.begin_nested():
            token.last_used_at = now
            session.flush()
    except OperationalError:
        log.info("token %d: last use not recorded, the database is busy", token.id)


def login(
    *, session: Session, username: str, password: str, now: datetime | None = None
) -> tuple[ApiToken, str]:
    """Check a username and password and return a new session token with its secret."""
    user = find_user(session=session, username=username)
    if user is None:
        security.burn_password_check(password)
        raise Unauthorized("Invalid username or password")
    if not security.verify_password(user.password_hash, password) or not user.is_active:
        raise Unauthorized("Invalid username or password")
    if security.needs_rehash(user.password_hash):
        user.password_hash = security.hash_password(password)
    expires_at = (now or utcnow()) + SESSION_TTL
    return issue_token(
        session=session,
        actor=user,
        user=user,
        name=SESSION_TOKEN_NAME,
        expires_at=expires_at,
        action="auth.login",
    )


def ensure_initial_admin(*, session: Session, settings: Settings) -> User | None:
    """Create the ``admin`` user from settings.admin_password when no active admin exists."""
    if not settings.admin_password:
        return None
    has_admin = select(User.id).where(User.role == "admin", User.is_active.is_(True)).limit(1)
    if session.scalar(has_admin) is not None:
        return None
    if find_user(session=session, username=INITIAL_ADMIN) is not None:
        log.warning("no active admin, and user %r exists: not creating one", INITIAL_ADMIN)
        return None
    return create_user(
        session=session,
        actor="system:startup",
        username=INITIAL_ADMIN,
        password=settings.admin_password,
        role="admin",
    )


def bootstrap_admin(context: AppContext) -> User | None:
    """Run ensure_initial_admin in its own transaction (call once at start-up)."""
    try:
        with transaction(context.sessions) as session:
            user = ensure_initial_admin(session=session, settings=context.settings)
    except IntegrityError:
        # Another worker created it at the same moment: that is the outcome we wanted.
        return None
    if user is not None:
        log.info("created the initial admin user %r", user.username)
    return user
