"""The source registry: every source module, checked once at start-up."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import timedelta
from functools import cache

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from ingest.indicators import BY_CODE
from ingest.sources.base import Source

__all__ = [
    "Registry",
    "RegistryError",
    "Source",
    "UnknownSourceError",
    "default_registry",
    "make_trigger",
]

SCHEDULE_OFF = "off"
_EVERY = re.compile(r"^@every\s+(\d+)\s*([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
# Column widths of backend.sources.models.Source (SQLite would not enforce them).
_LIMITS = {"id": 64, "title": 200, "publisher": 200, "licence": 200, "url": 500, "cadence": 32,
           "schedule": 64}  # fmt: skip


class RegistryError(Exception):
    """A source module breaks the contract; the process must not start."""


class UnknownSourceError(LookupError):
    """No source has that id."""


def make_trigger(schedule: str) -> BaseTrigger | None:
    """Build the trigger of a schedule: a 5-field cron, ``@every 30s|m|h|d``, or ``off`` (None)."""
    text = schedule.strip()
    if text.lower() == SCHEDULE_OFF:
        return None
    every = _EVERY.match(text)
    if every:
        seconds = timedelta(**{_UNITS[every.group(2)]: int(every.group(1))}).total_seconds()
        if seconds <= 0:
            raise ValueError(f"schedule {schedule!r} must be a positive interval")
        return IntervalTrigger(seconds=seconds, timezone="UTC")
    return CronTrigger.from_crontab(_named_weekdays(text), timezone="UTC")


_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _named_weekdays(crontab: str) -> str:
    """Spell a crontab's weekday numbers as names.

    In cron 0 (or 7) is Sunday; APScheduler 3's day_of_week counts 0 as Monday, so a
    numeric "1" would fire on Tuesday. Names mean the same day to both.
    """
    fields = crontab.split()
    if len(fields) != 5:
        return crontab  # from_crontab reports the malformed expression
    days, _, step = fields[4].partition("/")
    named = re.sub(r"\d+", lambda m: _CRON_DAYS[int(m.group()) % 8], days)
    fields[4] = named + (f"/{step}" if step else "")
    return " ".join(fields)


def _problems(source: Source) -> Iterator[str]:
    """Yield what is wrong with one source declaration."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,63}", source.id):
        yield f"id {source.id!r} must be lower_snake_case"
    if not source.indicators:
        yield "declares no indicator"
    for code in source.indicators:
        if code not in BY_CODE:
            yield f"indicator {code!r} is not in ingest.indicators.CATALOGUE"
    try:
        make_trigger(source.schedule)
    except ValueError as exc:
        yield f"schedule {source.schedule!r} is not valid: {exc}"
    for name in ("fetch", "parse"):
        if not callable(getattr(source, name)):
            yield f"{name} is not callable"
    if source.cadence_days <= 0:
        yield "cadence_days must be positive"
    for name, limit in _LIMITS.items():
        if len(getattr(source, name)) > limit:
            yield f"{name} is longer than the {limit} characters the source table holds"


class Registry:
    """The sources a process knows, keyed by id, validated on construction."""

    def __init__(self, sources: Iterable[Source]) -> None:
        self._sources: dict[str, Source] = {}
        errors: list[str] = []
        for source in sources:
            if source.id in self._sources:
                errors.append(f"{source.id}: id declared twice")
            errors.extend(f"{source.id}: {problem}" for problem in _problems(source))
            self._sources[source.id] = source
        if errors:
            raise RegistryError("invalid source registry: " + "; ".join(errors))

    def get(self, source_id: str) -> Source:
        """Return the source with that id."""
        try:
            return self._sources[source_id]
        except KeyError:
            known = ", ".join(sorted(self._sources)) or "none"
            raise UnknownSourceError(f"unknown source {source_id!r} (known: {known})") from None

    def schedule(self, source_id: str, overrides: dict[str, str] | None = None) -> str:
        """Return a source's effective schedule, settings overrides winning."""
        return (overrides or {}).get(source_id, self.get(source_id).schedule)

    def __iter__(self) -> Iterator[Source]:
        return iter(self._sources.values())

    def __len__(self) -> int:
        return len(self._sources)


@cache
def default_registry() -> Registry:
    """Return the registry of every source shipped with Tocsin (validated once)."""
    from ingest.sources import (
        csv_upload,
        gdelt,
        owid,
        sdg,
        un_press,
        unodc_homicide,
        unodc_seizures,
        unsc_meetings,
        worldbank,
    )

    return Registry(
        [
            worldbank.SOURCE,
            unodc_homicide.SOURCE,
            owid.SOURCE,
            sdg.SOURCE,
            unodc_seizures.SOURCE,
            unsc_meetings.SOURCE,
            un_press.SOURCE,
            gdelt.SOURCE,
            csv_upload.SOURCE,
        ]
    )
