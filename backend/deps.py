"""Typed request dependencies: the process context, its settings, and a per-request session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from functools import partial
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.context import AppContext
from backend.db import transaction


def get_context(request: Request) -> AppContext:
    """Return the AppContext that create_app stored on the application."""
    context: AppContext = request.app.state.context
    return context


def get_settings(request: Request) -> Settings:
    """Return the settings the application was built with."""
    return get_context(request).settings


def session_opener(context: AppContext) -> Callable[[], AbstractContextManager[Session]]:
    """Return what opens a request's session: a transaction, committed on success.

    ``create_app`` keeps it as ``app.state.open_session``, the one place requests get their
    sessions from (routes through get_session, and backend.hotreads); tests replace it to
    run the app inside their own rolled-back transaction.
    """
    return partial(transaction, context.sessions)


def get_session(request: Request) -> Iterator[Session]:
    """Yield a session whose transaction the request owns: commit on success, roll back on error."""
    with request.app.state.open_session() as session:
        yield session


# scope="function" ends the transaction before the response is sent, so a failed commit
# becomes an error response instead of a 200 for work that was rolled back.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
