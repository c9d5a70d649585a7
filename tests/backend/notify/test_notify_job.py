"""The delivery job on both databases: webhooks, digests, silences, grace, cursor and lease."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
import pytest
import respx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.config import Settings
from backend.events.models import Event
from backend.notify.job import LEASE, deliver_notifications
from backend.notify.models import Silence
from backend.notify.outbox import read_cursor
from backend.sources.service import acquire_lease
from tests.backend.notify.factory import HOOK, T0, Changes, Places, deliveries, minutes, subscribe
from tests.backend.notify.smtp_stub import smtp_stub


def no_wait(_seconds: float) -> None:
    """Skip the backoff sleep."""


def run(sessions: sessionmaker[Session], settings: Settings, at: float) -> tuple[int, ...]:
    """Run the job at T0 + at minutes and return (routed, sent, failed, digests)."""
    report = deliver_notifications(sessions, settings, minutes(at), sleep=no_wait)
    assert report.ran
    return report.routed, report.sent, report.failed, report.digests


@respx.mock
def test_a_firing_alert_is_posted_once_and_a_rerun_sends_nothing(
    session: Session, sessions: sessionmaker[Session], settings: Settings, places: Places,
    changes: Changes,
) -> None:  # fmt: skip
    route = respx.post(HOOK).respond(200)
    subscription = subscribe(session, regions=["M49_013"])
    changes.move(places.hnd, "firing", at=minutes(1))
    assert run(sessions, settings, 2) == (1, 1, 0, 0)
    assert run(sessions, settings, 3) == (0, 0, 0, 0)
    assert route.call_count == 1
    [delivery] = deliveries(session)
    assert (delivery.subscription_id, delivery.status, delivery.attempts) == (
        subscription.id, "sent", 1,
    )  # fmt: skip
    assert delivery.payload["region"] == "HND" and delivery.payload["theme"] == "homicide"
    assert read_cursor(session=session) == delivery.event_id


@respx.mock
def test_webhook_urls_and_their_tokens_stay_out_of_the_logs(
    session: Session, sessions: sessionmaker[Session], settings: Settings, places: Places,
    changes: Changes, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    respx.post(HOOK).respond(200)
    respx.post(f"{HOOK}-2").respond(503)
    subscribe(session, name="ok desk")
    subscribe(session, name="broken desk", target=f"{HOOK}-2")
    changes.move(places.hnd, "firing", at=minutes(1))
    with caplog.at_level(logging.INFO):
        assert run(sessions, settings, 2) == (2, 1, 1, 0)
    assert "T0K3N" not in caplog.text
    assert "https://hooks.example.org/..." in caplog.text  # httpx's request line, masked
    assert "webhook of 'broken desk' failed: HTTP 503" in caplog.text


@respx.mock
def test_a_5xx_is_retried_and_the_attempts_recorded(
    session: Session, sessions: sessionmaker[Session], settings: Settings, places: Places,
    changes: Changes,
) -> None:  # fmt: skip
    respx.post(HOOK).side_effect = [httpx.Response(500), httpx.Response(200)]
    subscribe(session)
    changes.move(places.hnd, "firing", at=minutes(1))
    assert run(sessions, settings, 2) == (1, 1, 0, 0)
    [delivery] = deliveries(session)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 2, None)
    assert delivery.sent_at is not None


@respx.mock
def test_timeouts_until_the_retries_run_out_are_a_failed_delivery(
    session: Session, sessions: sessionmaker[Session], settings: Settings, places: Places,
    changes: Changes,
) -> None:  # fmt: skip
    route = respx.post(HOOK).mock(side_effect=httpx.ConnectTimeout("slow"))
    subscribe(session)
    changes.move(places.hnd, "firing", at=minutes(1))
    assert run(sessions, settings, 2) == (1, 0, 1, 0)
    assert run(sessions, settings, 3) == (0, 0, 0, 0)  # failed is final: no resend
    [delivery] = deliveries(session)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("failed", 3, "timed out")
    assert route.call_count == 3 and delivery.sent_at is None


@respx.mock
def test_routing_by_region_severity_and_theme(
    session: Session, sessions: sessionmaker[Session], settings: Settings, places: Places,
    changes: Changes,
) -> None:  # fmt: skip
    respx.post(HOOK).respond(200)
    africa = subscribe(session, name="africa", regions=["M49_002"])
    critical = subscribe(session, name="critical", min_severity="critical")
    drugs = subscribe(session, name="drugs", themes=["drug_trafficking"])
    changes.move(places.nga, "firing", at=minutes(1), fingerprint="fp-nga")
    changes.move(places.gtm, "firing", at=minutes(1), fingerprint="fp-gtm", severity="critical")
    changes.move(places.hnd, "firing", at=minutes(1), fingerprint="fp-hnd",
                 labels={"theme": "drug_trafficking"})  # fmt: skip
    run(sessions, settings, 2)
    got = {(d.subscription_id, d.fingerprint) for d in deliveries(session)}
    assert got == {(africa.id, "fp-nga"), (critical.id, "fp-gtm"), (drugs.id, "fp-hnd")}


@respx.mock
def test_a_silence_mutes_while_it_lasts(
    session: Session, sessions: sessionmaker[Session], settings: Settings, places: Places,
    changes: Changes,
) -> None:  # fmt: skip
    route = respx.post(HOOK).respond(200)
    subscribe(session, grace_minutes=0)
    muting = Silence(region="M49_013", starts_at=T0, ends_at=minutes(30), author="analyst1",
                     comment="known, election week", created_at=T0)  # fmt: skip
    session.add(muting)
    changes.move(places.hnd, "firing", at=minutes(1))
    run(sessions, settings, 2)
    changes.move(places.hnd, "resolved", at=minutes(31))
    run(sessions, settings, 32)
    muted, told = deliveries(session)
    assert (muted.status, muted.silence_id, muted.alert_state) == ("silenced", muting.id, "firing")
    assert (told.status, told.alert_state) == ("sent", "resolved")
    assert route.call_count == 1


@respx.mock
def test_an_alert_muted_by_a_higher_severity_one_is_not_notified(
    session: Session, sessions: sessionmaker[Session], settings: Settings, places: Places,
    changes: Changes,
) -> None:  # fmt: skip
    respx.post(HOOK).respond(200)
    subscribe(session)
    critical = changes.move(places.hnd, "firing", at=minutes(1), fingerprint="fp-critical",
                            severity="critical")  # fmt: skip
    changes.move(places.hnd, "firing", at=minutes(1), fingerprint="fp-muted",
                 muted_by_id=critical.id)  # fmt: skip
    run(sessions, settings, 2)
    assert [d.fingerprint for d in deliveries(session)] == ["fp-critical"]


@respx.mock
def test_the_grace_period_holds_back_the_same_alert_and_state(
    session: Session, sessions: sessionmaker[Session], settings: Settings, places: Places,
    changes: Changes,
) -> None:  # fmt: skip
    respx.post(HOOK).respond(200)
    subscribe(session, grace_minutes=60)
    for at, state in ((1, "firing"), (10, "resolved"), (20, "firing"), (70, "resolved")):
        changes.move(places.hnd, state, at=minutes(at))
        run(sessions, settings, at + 1)
    told = [(d.alert_state, d.created_at.replace(tzinfo=None)) for d in deliveries(session)]
    # The re-fire at 20 is within an hour of the first firing; the resolution at 70 is not.
    assert told == [
        ("firing", minutes(2).replace(tzinfo=None)),
        ("resolved", minutes(11).replace(tzinfo=None)),
        ("resolved", minutes(71).replace(tzinfo=None)),
    ]


@respx.mock
def test_triage_demo_and_older_events_are_not_routed(
    session: Session, sessions: sessionmaker[Session], settings: Settings, places: Places,
    changes: Changes,
) -> None:  # fmt: skip
    route = respx.post(HOOK).respond(200)
    changes.move(places.gtm, "firing", at=minutes(-5), fingerprint="fp-old")
    changes.move(places.hnd, "firing", at=minutes(1), fingerprint="fp-demo", is_demo=True)
    subscribe(session)
    changes.move(places.gtm, "firing", at=minutes(2), fingerprint="fp-old")  # no state change
    assert run(sessions, settings, 3) == (0, 0, 0, 0)
    assert route.call_count == 0 and read_cursor(session=session) > 0


@respx.mock
def test_an_event_committed_late_behind_the_cursor_is_still_routed(
    session: Session, sessions: sessionmaker[Session], settings: Settings, places: Places,
    changes: Changes,
) -> None:  # fmt: skip
    respx.post(HOOK).respond(200)
    subscribe(session)
    changes.move(places.hnd, "firing", at=minutes(1), fingerprint="fp-hnd")
    slow = changes.move(places.gtm, "firing", at=minutes(1), fingerprint="fp-gtm")
    changes.move(places.nga, "firing", at=minutes(1), fingerprint="fp-nga")
    [late] = [e for e in session.scalars(select(Event)) if e.payload["alert_id"] == slow.id]
    payload, late_id = late.payload, late.id
    session.delete(late)  # as if its transaction had not committed yet
    session.flush()
    assert run(sessions, settings, 2) == (2, 2, 0, 0)
    session.add(Event(id=late_id, kind="alert", created_at=minutes(1), payload=payload))
    session.flush()
    assert run(sessions, settings, 3) == (1, 1, 0, 0)
    assert run(sessions, settings, 4) == (0, 0, 0, 0)
    assert sorted(d.fingerprint for d in deliveries(session)) == ["fp-gtm", "fp-hnd", "fp-nga"]


def test_email_changes_go_out_as_one_digest_per_interval(
    session: Session, sessions: sessionmaker[Session], settings: Settings, places: Places,
    changes: Changes,
) -> None:  # fmt: skip
    subscribe(session, name="desk mail", channel="email", target="desk@example.org")
    changes.move(places.hnd, "firing", at=minutes(1), fingerprint="fp-hnd")
    changes.move(places.gtm, "firing", at=minutes(1), fingerprint="fp-gtm", severity="critical")
    with smtp_stub() as mailbox:
        smtp = settings.model_copy(update={"smtp_host": mailbox.host, "smtp_port": mailbox.port,
                                           "smtp_starttls": False})  # fmt: skip
        assert run(sessions, smtp, 2) == (2, 0, 0, 1)
        changes.move(places.hnd, "resolved", at=minutes(10), fingerprint="fp-hnd")
        assert run(sessions, smtp, 11) == (1, 0, 0, 0)  # queued: a digest went out 9 min ago
        assert run(sessions, smtp, 62) == (0, 0, 0, 1)
    first, second = mailbox.messages
    assert first["Subject"] == "[Tocsin] desk mail: 2 alert changes, 2 firing"
    text = first.get_payload(decode=True).decode()
    assert "FIRING warning HND homicide_rate_spike 2025" in text
    assert "FIRING critical GTM homicide_rate_spike 2025" in text
    assert second["Subject"] == "[Tocsin] desk mail: 1 alert changes, 0 firing"
    assert [d.status for d in deliveries(session)] == ["sent", "sent", "sent"]


def test_email_waits_queued_while_smtp_is_not_configured(
    session: Session, sessions: sessionmaker[Session], settings: Settings, places: Places,
    changes: Changes,
) -> None:  # fmt: skip
    subscribe(session, channel="email", target="desk@example.org")
    changes.move(places.hnd, "firing", at=minutes(1))
    assert run(sessions, settings, 2) == (1, 0, 0, 0)
    assert [d.status for d in deliveries(session)] == ["queued"]


@respx.mock
def test_a_second_scheduler_holding_the_lease_stops_the_run(
    session: Session, sessions: sessionmaker[Session], settings: Settings, places: Places,
    changes: Changes,
) -> None:  # fmt: skip
    route = respx.post(HOOK).respond(200)
    subscribe(session)
    changes.move(places.hnd, "firing", at=minutes(1))
    assert acquire_lease(session=session, name=LEASE, holder="other", ttl=timedelta(minutes=5),
                         now=minutes(1))  # fmt: skip
    report = deliver_notifications(sessions, settings, minutes(2), sleep=no_wait)
    assert not report.ran and route.call_count == 0 and deliveries(session) == []
    assert run(sessions, settings, 7) == (1, 1, 0, 0)  # the other one's lease ran out
