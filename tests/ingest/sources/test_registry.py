"""The source contract: the registry refuses broken sources; schedules and sniffing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from ingest.sources import (
    Registry,
    RegistryError,
    UnknownSourceError,
    default_registry,
    make_trigger,
)
from ingest.sources.base import ParseResult, Payload, Source, sniff


def fake_fetch(client, settings) -> Payload:
    return Payload(content=b"", url="memory:")


def fake_parse(content: bytes, *, filename: str | None = None) -> ParseResult:
    return ParseResult()


GOOD = Source(
    id="fake_source", title="Fake", publisher="Nobody", licence="CC0", url="https://example.org",
    cadence="yearly", cadence_days=365, schedule="0 3 * * 1", indicators=("homicide_rate",),
    fetch=fake_fetch, parse=fake_parse,
)  # fmt: skip


def test_the_shipped_registry_is_valid():
    registry = default_registry()
    assert "worldbank_homicide" in {s.id for s in registry}
    assert registry.get("worldbank_homicide").indicators == ("homicide_rate",)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"indicators": ("no_such_indicator",)},
            "'no_such_indicator' is not in ingest.indicators.CATALOGUE",
        ),
        ({"indicators": ()}, "declares no indicator"),
        ({"schedule": "every tuesday"}, "schedule 'every tuesday' is not valid"),
        ({"schedule": "61 * * * *"}, "schedule '61 \\* \\* \\* \\*' is not valid"),
        ({"parse": "not callable"}, "parse is not callable"),
        ({"id": "Bad Id"}, "must be lower_snake_case"),
        ({"cadence_days": 0}, "cadence_days must be positive"),
    ],
)
def test_a_broken_source_stops_the_registry(change, message):
    with pytest.raises(RegistryError, match=message):
        Registry([replace(GOOD, **change)])


def test_ids_are_unique():
    with pytest.raises(RegistryError, match="fake_source: id declared twice"):
        Registry([GOOD, GOOD])


def test_unknown_sources_are_named_with_the_known_ones():
    with pytest.raises(UnknownSourceError, match="unknown source 'nope' \\(known: fake_source\\)"):
        Registry([GOOD]).get("nope")


def test_settings_override_a_schedule():
    registry = Registry([GOOD])
    assert registry.schedule("fake_source") == "0 3 * * 1"
    assert registry.schedule("fake_source", {"fake_source": "off"}) == "off"


@pytest.mark.parametrize(
    ("schedule", "kind", "seconds"),
    [
        ("0 3 * * 1", CronTrigger, None),
        ("*/15 * * * *", CronTrigger, None),
        ("@every 2s", IntervalTrigger, 2),
        ("@every 15m", IntervalTrigger, 900),
        ("@every 1d", IntervalTrigger, 86400),
        ("off", type(None), None),
        ("OFF", type(None), None),
    ],
)
def test_make_trigger(schedule, kind, seconds):
    trigger = make_trigger(schedule)
    assert isinstance(trigger, kind)
    if seconds is not None:
        assert trigger.interval.total_seconds() == seconds


@pytest.mark.parametrize("schedule", ["@every 0s", "@every", "* * *", "nonsense"])
def test_make_trigger_refuses_nonsense(schedule):
    with pytest.raises(ValueError):
        make_trigger(schedule)


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b'[{"page":1}]', "json"),
        (b"\xef\xbb\xbf  {", "json"),
        (b"PK\x03\x04rest", "zip"),
        (b"<!DOCTYPE html><html>", "html"),
        (b"\n  <html lang=en>", "html"),
        (b"<?xml version='1.0'?><r/>", "xml"),
        (b'\xef\xbb\xbf"Data Source","World Development Indicators",', "csv"),
        (b"a;b\n", "csv"),
        (b"", "unknown"),
        (b"\x00\x00", "unknown"),
        (b"just words", "unknown"),
    ],
)
def test_sniff(content, kind):
    assert sniff(content) == kind


@pytest.mark.parametrize(
    ("crontab", "expected_weekday"),
    [("30 4 * * 1", 0), ("30 4 * * 0", 6), ("30 4 * * 7", 6), ("0 6 * * 4", 3), ("0 0 * * 1-5", 0)],
)
def test_cron_weekdays_mean_what_cron_means(crontab, expected_weekday):
    """Cron's 1 is Monday; APScheduler 3 alone would read it as Tuesday."""
    trigger = make_trigger(crontab)
    start = datetime(2026, 11, 22, tzinfo=UTC)  # a Sunday
    fire = trigger.get_next_fire_time(None, start + timedelta(seconds=1))
    assert fire.weekday() == expected_weekday
