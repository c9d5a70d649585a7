"""The fast door for repeated reads: cached answers served below the framework, after the checks.

Every open dashboard asks for the heat map and the alert inbox again and again, and the
answer only changes when an event is written (see ``backend.cache``). Even from the
response cache, the full stack spends about 4 ms of CPU per answer on dependency
resolution, query validation, thread-pool hops and middleware. This ASGI layer, the
outermost, keeps the exact bytes of each cacheable answer (status 200, headers
including the security headers, body) per raw path and query, and serves them again
after the same two checks the full stack makes, in one SQL statement:

1. the bearer token is looked up by its hash and judged by the users service's own
   rules (revoked, expired, disabled user; effective role at least viewer, which is all a
   cached read needs: ``ResponseCache.json_response`` is only for answers every viewer
   may see);
2. the data version, the newest event id, must still be the one the answer was built at.

Anything else passes the request to the full application: no or an unknown token (it
answers 401), a token whose last-used hint is due (it writes it), a cross-origin request
(CORS headers), a changed version, a database error (a 503 problem). When the full
application's answer is cacheable, it announces its data version in a header and the
bytes are kept here for the next caller.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import anyio.to_thread
from sqlalchemy import bindparam, func, make_url, select
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import StaticPool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.cache import CACHE_HEADER, VERSION_HEADER
from backend.db import make_engine
from backend.events.models import Event
from backend.ops.metrics import RECORDER, Recorder
from backend.ops.middleware import record_request
from backend.timeutil import utcnow
from backend.users import security
from backend.users import service as users
from backend.users.models import ApiToken, User

log = logging.getLogger(__name__)

ROLE_NEEDED = "viewer"

# The caller's token and the data version, in one round trip.
_GRANT = (
    select(
        ApiToken.role.label("token_role"),
        User.role.label("user_role"),
        User.is_active,
        ApiToken.revoked_at,
        ApiToken.expires_at,
        ApiToken.last_used_at,
        select(func.max(Event.id)).scalar_subquery().label("version"),
    )
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)

Headers = list[tuple[bytes, bytes]]
_VERSION = VERSION_HEADER.encode()


@dataclass(frozen=True)
class Kept:
    """One answer as the full application sent it, and the data version it shows."""

    version: int
    headers: Headers
    body: bytes


class Grant(NamedTuple):
    """What a check reads: the token's and its user's state, and the data version."""

    token_role: str
    user_role: str
    is_active: bool
    revoked_at: datetime | None
    expires_at: datetime | None
    last_used_at: datetime | None
    version: int | None

    def admits(self, version: int) -> bool:
        """Tell whether this grants a viewer now and the data is still at version."""
        if (self.version or 0) != version:
            return False
        now = utcnow()
        refused = users.token_refusal(
            revoked_at=self.revoked_at, expires_at=self.expires_at, user_active=self.is_active,
            now=now,
        )  # fmt: skip
        return (
            refused is None
            and users.role_at_least(users.lower_role(self.user_role, self.token_role), ROLE_NEEDED)
            and not users.last_use_is_stale(self.last_used_at, now)
        )


@dataclass
class Grants:
    """Reads grants on the door's own DBAPI connections, with _GRANT compiled once.

    Through an ORM session the statement costs about 200 microseconds a request; on a
    DBAPI cursor about 10 (measured on the throughput benchmark's SQLite database), which
    is most of what the door saves. The connections are the door's own: the routes'
    sessions hold pool connections while their thread-pool work waits for the event loop,
    so a check waiting on the loop for one of those would deadlock.
    """

    connect: Callable[[], AbstractContextManager[Any]]
    dialect: Dialect
    sql: str = field(init=False)
    positional: bool = field(init=False)
    processors: tuple[Callable[[Any], Any] | None, ...] = field(init=False)

    def __post_init__(self) -> None:
        compiled = _GRANT.compile(dialect=self.dialect)
        self.sql, self.positional = compiled.string, bool(compiled.positiontup)
        self.processors = tuple(
            column.type.dialect_impl(self.dialect).result_processor(self.dialect, None)
            for column in _GRANT.selected_columns
        )
        self.failures: tuple[type[Exception], ...] = (
            SQLAlchemyError, self.dialect.loaded_dbapi.Error
        )  # fmt: skip

    @property
    def inline(self) -> bool:
        """Tell whether a check may run on the event loop.

        A local SQLite read takes microseconds; a server database's round trip (or a
        reconnect while it restarts) must not hold up the loop, so it goes to a thread.
        """
        return self.dialect.name == "sqlite"

    def lookup(self, secret: str) -> Grant | None:
        """Return the grant of a bearer secret; None when unknown or the database fails."""
        if not security.looks_like_token(secret):
            return None
        token_hash = security.hash_token(secret)
        try:
            with self.connect() as connection:
                cursor = connection.cursor()
                try:
                    cursor.execute(
                        self.sql, (token_hash,) if self.positional else {"token_hash": token_hash}
                    )
                    row = cursor.fetchone()
                finally:
                    cursor.close()
        except self.failures as exc:  # the full path answers, with a problem if it must
            log.debug("hot read check failed: %s", exc)
            return None
        if row is None:
            return None
        return Grant(*(f(v) if f else v for f, v in zip(self.processors, row, strict=True)))


@dataclass
class DoorEngine:
    """The engine the door's connections come from (``app.state.grants``), closed at shutdown.

    SQLite gets one connection, used only by the event loop's thread (autocommit, so no
    snapshot is held between checks); a server database a small pool whose checkout gives
    up after a second, when the request takes the full path.
    """

    engine: Engine

    @classmethod
    def for_url(cls, url: str) -> DoorEngine:
        """Make the engine for a database URL."""
        if make_url(url).get_backend_name() == "sqlite":
            return cls(make_engine(url, poolclass=StaticPool))
        return cls(make_engine(url, pool_size=2, max_overflow=0, pool_timeout=1))

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """Lend a DBAPI connection; returning it to the pool rolls back what it began."""
        connection = self.engine.raw_connection()
        try:
            yield connection
        finally:
            connection.close()

    def grants(self) -> Grants:
        """Return the grant reader on this engine's connections."""
        return Grants(self.connection, self.engine.dialect)


def _bearer_secret(headers: Headers) -> str | None:
    """Return the bearer secret of a same-origin request, or None (no token, or CORS)."""
    secret = None
    for name, value in headers:
        if name == b"origin":
            return None
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            secret = value[7:].strip().decode("latin-1")
    return secret


class HotReads:
    """ASGI middleware: answer a repeated cacheable GET from kept bytes when both checks pass.

    The checks read through ``app.state.grants`` (a Grants), looked up per request so
    tests can point it at their own transaction.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_entries: int = 256,
        max_body_bytes: int = 4_000_000,
        max_total_bytes: int = 64_000_000,
        recorder: Recorder = RECORDER,
    ) -> None:
        self.app = app
        self.max_entries = max_entries
        self.max_body_bytes = max_body_bytes
        self.max_total_bytes = max_total_bytes
        self.total_bytes = 0
        self.recorder = recorder
        # Touched only on the event loop's thread: no lock.
        self.kept: OrderedDict[tuple[str, bytes], Kept] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve kept bytes when the caller and the version check out, else pass on."""
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        key = (scope["path"], scope["query_string"])
        secret = _bearer_secret(scope["headers"])
        kept = self.kept.get(key)
        if kept is not None and secret is not None and await self._current(scope, secret, kept):
            self.kept.move_to_end(key)
            await send({"type": "http.response.start", "status": 200, "headers": kept.headers})
            await send({"type": "http.response.body", "body": kept.body})
            record_request(self.recorder, method="GET", route=key[0], status=200,
                           seconds=time.perf_counter() - start)  # fmt: skip
            return
        await self.app(scope, receive, self._keeping(key, send))

    @staticmethod
    async def _current(scope: Scope, secret: str, kept: Kept) -> bool:
        grants: Grants = scope["app"].state.grants
        if grants.inline:
            grant = grants.lookup(secret)
        else:
            grant = await anyio.to_thread.run_sync(grants.lookup, secret)
        return grant is not None and grant.admits(kept.version)

    def _keeping(self, key: tuple[str, bytes], send: Send) -> Send:
        """Wrap send so a cacheable answer's bytes are kept as they go out."""
        started: Message | None = None

        async def send_and_keep(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = message if message["status"] == 200 else None
            elif message["type"] == "http.response.body" and started is not None:
                if not message.get("more_body", False):
                    self._keep(key, started["headers"], message.get("body", b""))
                started = None  # a streamed body is not kept
            await send(message)

        return send_and_keep

    def _keep(self, key: tuple[str, bytes], headers: Headers, body: bytes) -> None:
        version = next((value for name, value in headers if name == _VERSION), None)
        if version is None or len(body) > self.max_body_bytes:
            return
        replaced = self.kept.pop(key, None)
        self.total_bytes += len(body) - (len(replaced.body) if replaced else 0)
        self.kept[key] = Kept(int(version), _as_hit(list(headers)), body)
        # Bounded in count and in bytes, oldest use first out.
        while len(self.kept) > self.max_entries or self.total_bytes > self.max_total_bytes:
            _key, dropped = self.kept.popitem(last=False)
            self.total_bytes -= len(dropped.body)


def _as_hit(headers: Headers) -> Headers:
    """Return the headers with the cache header saying the answer was served again."""
    name = CACHE_HEADER.encode()
    return [(key, b"hit" if key == name else value) for key, value in headers]
