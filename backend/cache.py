"""Cached JSON answers for the hot reads, valid while the data version stays the same.

The heat map, the alert inbox, the indicator catalogue and the region list are read far
more often than their data changes. Each process keeps the encoded JSON of recent answers
per (route, validated query) together with the data version it was built at: the id of
the newest event in the event log. Every change those answers show appends an event in
the same transaction (alert transitions and triage, finished ingest runs, uploads), so a
request reads the version with one primary-key lookup and serves the bytes only when it
is unchanged: never a stale answer, across workers and the scheduler's process.

Routes use it after their dependencies ran, so authorization is checked on every
request before the cache is consulted.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from backend.events.service import last_cursor

JSON_MEDIA_TYPE = "application/json"
CACHE_HEADER = "x-tocsin-cache"
VERSION_HEADER = "x-tocsin-data-version"  # the event id the answer shows (backend.hotreads)


@dataclass
class ResponseCache:
    """A bounded, thread-safe LRU of encoded answers, each tagged with its data version."""

    max_entries: int = 512
    max_body_bytes: int = 4_000_000  # larger answers are rebuilt: a few keep memory bounded
    _entries: OrderedDict[Hashable, tuple[int, bytes]] = field(
        default_factory=OrderedDict, init=False, repr=False
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def get(self, key: Hashable, version: int) -> bytes | None:
        """Return the body cached for key at this version, or None."""
        with self._lock:
            found = self._entries.get(key)
            if found is None or found[0] != version:
                return None
            self._entries.move_to_end(key)
            return found[1]

    def put(self, key: Hashable, version: int, body: bytes) -> None:
        """Keep body for key at this version, evicting the least recently used entries."""
        if len(body) > self.max_body_bytes:
            return
        with self._lock:
            self._entries[key] = (version, body)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        """Return the number of cached answers."""
        return len(self._entries)

    def json_response(
        self, *, session: Session, key: Hashable, build: Callable[[], BaseModel]
    ) -> Response:
        """Answer from the cache when the data version is unchanged, else build and keep it.

        Only for answers every viewer may see, whoever asks: ``backend.hotreads`` serves
        them again to any caller with a valid viewer token.
        """
        version = data_version(session)
        body = self.get(key, version)
        state = "hit"
        if body is None:
            # Encoded once here: FastAPI passes a Response through without re-validating.
            body = build().model_dump_json(by_alias=True).encode()
            self.put(key, version, body)
            state = "miss"
        headers = {CACHE_HEADER: state, VERSION_HEADER: str(version)}
        return Response(body, media_type=JSON_MEDIA_TYPE, headers=headers)


def data_version(session: Session) -> int:
    """Return the version of everything the cached answers show: the newest event id."""
    return last_cursor(session=session)


def query_key(route: str, query: BaseModel | None = None) -> tuple[str, str]:
    """Return the cache key of a route called with a validated query (defaults filled in)."""
    return route, "" if query is None else query.model_dump_json()


async def get_response_cache(request: Request) -> ResponseCache:
    """Return the application's response cache (one per process, made by create_app).

    Async on purpose: FastAPI runs a sync dependency in the thread pool, a hop per request.
    """
    cache: ResponseCache = request.app.state.response_cache
    return cache


ResponseCacheDep = Annotated[ResponseCache, Depends(get_response_cache)]
