"""What a process needs to reach the database, built once by its entry point."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from backend.config import Settings, get_settings
from backend.db import make_engine, make_session_factory


@dataclass(frozen=True)
class AppContext:
    """Settings, engine and session factory shared by one process."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def build_context(settings: Settings | None = None) -> AppContext:
    """Build the process context from settings (read from the environment when not given)."""
    settings = settings or get_settings()
    engine = make_engine(settings.database_url)
    return AppContext(settings=settings, engine=engine, sessions=make_session_factory(engine))
