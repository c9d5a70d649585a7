"""Request authentication: the caller from ``Authorization: Bearer``, role checks, login throttle.

Routes declare what they need with the ready-made dependencies::

    def triage(principal: AnalystDep, ...)       # 401 without a valid token, 403 below analyst
    @router.get(..., dependencies=[RequireViewer])  # check only, no parameter

The effective role of a request is the lower of the user's role and the token's role, so
lowering a user's role also lowers every token they already hold.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, ClassVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from backend.deps import SessionDep
from backend.errors import DomainError, Forbidden, Unauthorized
from backend.users import service
from backend.users.models import ApiToken, User

bearer = HTTPBearer(
    auto_error=False, description="A session token from /auth/login or an API token"
)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user, the token used, and the effective role."""

    user: User
    token: ApiToken
    role: str

    @property
    def user_id(self) -> int:
        """Return the caller's user id."""
        return self.user.id

    @property
    def username(self) -> str:
        """Return the caller's username."""
        return self.user.username

    def has_role(self, minimum: str) -> bool:
        """Tell whether the effective role is at least minimum."""
        return service.role_at_least(self.role, minimum)


def get_principal(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """Return the authenticated caller, or raise Unauthorized (401)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Missing bearer token: send 'Authorization: Bearer <token>'")
    user, token = service.authenticate(session=session, secret=credentials.credentials)
    return Principal(user=user, token=token, role=service.lower_role(user.role, token.role))


def get_optional_principal(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal | None:
    """Return the caller when a token is sent (an invalid one is still a 401), else None."""
    return None if credentials is None else get_principal(session, credentials)


PrincipalDep = Annotated[Principal, Depends(get_principal)]
OptionalPrincipalDep = Annotated[Principal | None, Depends(get_optional_principal)]


def require_role(minimum: str) -> Callable[[Principal], Awaitable[Principal]]:
    """Return a dependency that admits callers whose effective role is at least minimum."""
    if minimum not in service.ROLE_RANK:
        raise ValueError(f"unknown role {minimum!r}")

    # Async though it awaits nothing: FastAPI would run a sync check in the thread pool,
    # one more thread hop on every authorized request.
    async def check(principal: PrincipalDep) -> Principal:
        if not principal.has_role(minimum):
            raise Forbidden(f"This needs the {minimum} role; your token has {principal.role}")
        return principal

    check.__name__ = f"require_{minimum}"
    return check


ViewerDep = Annotated[Principal, Depends(require_role("viewer"))]
AnalystDep = Annotated[Principal, Depends(require_role("analyst"))]
AdminDep = Annotated[Principal, Depends(require_role("admin"))]
# For `dependencies=[...]` on a router or a route that does not need the principal itself.
RequireViewer = Depends(require_role("viewer"))
RequireAnalyst = Depends(require_role("analyst"))
RequireAdmin = Depends(require_role("admin"))


def require_self_or_admin(principal: Principal, user_id: int) -> None:
    """Raise Forbidden unless the caller is user_id or an admin."""
    if principal.user_id != user_id and not principal.has_role("admin"):
        raise Forbidden("Only an admin may manage another user's tokens")


class TooManyAttempts(DomainError):
    """Too many failed sign-ins: wait before trying again."""

    status, title, slug = 429, "Too many requests", "too-many-requests"


@dataclass
class LoginThrottle:
    """Count failed logins in a sliding window per username+IP and per IP (one process only).

    A deployment with several API workers needs a shared counter (a table or Redis) or a
    limit at the proxy; this one is per process, so N workers allow N times the budget.
    """

    per_user_ip: int = 5
    per_ip: int = 50
    window_s: float = 300.0
    clock: Callable[[], float] = time.monotonic
    max_keys: ClassVar[int] = 10_000

    def __post_init__(self) -> None:
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _keys(self, username: str, ip: str) -> list[tuple[tuple[str, str], int]]:
        return [((username.strip().lower(), ip), self.per_user_ip), (("", ip), self.per_ip)]

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times

    def check(self, username: str, ip: str) -> None:
        """Raise TooManyAttempts (429) when either budget is spent, with the seconds to wait."""
        now = self.clock()
        with self._lock:
            for key, limit in self._keys(username, ip):
                times = self._recent(key, now)
                if len(times) >= limit:
                    wait = max(1, int(times[0] + self.window_s - now) + 1)
                    raise TooManyAttempts(
                        f"Too many failed sign-ins; try again in {wait} s",
                        extra={"retry_after": wait},
                    )

    def failed(self, username: str, ip: str) -> None:
        """Count one failed attempt."""
        now = self.clock()
        with self._lock:
            if len(self._failures) >= self.max_keys:
                self._prune(now)
            for key, _limit in self._keys(username, ip):
                self._failures[key] = self._recent(key, now)
                self._failures[key].append(now)

    def succeeded(self, username: str, ip: str) -> None:
        """Forget the failures of this username from this IP."""
        with self._lock:
            self._failures.pop(self._keys(username, ip)[0][0], None)

    def _prune(self, now: float) -> None:
        for key in list(self._failures):
            if not self._recent(key, now):
                del self._failures[key]
        while len(self._failures) >= self.max_keys:  # still full: drop the oldest keys
            del self._failures[next(iter(self._failures))]


_throttle_lock = threading.Lock()


def get_login_throttle(request: Request) -> LoginThrottle:
    """Return the application's login throttle, made on first use."""
    with _throttle_lock:
        throttle: LoginThrottle | None = getattr(request.app.state, "login_throttle", None)
        if throttle is None:
            throttle = request.app.state.login_throttle = LoginThrottle()
    return throttle


LoginThrottleDep = Annotated[LoginThrottle, Depends(get_login_throttle)]
