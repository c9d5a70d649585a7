"""The delivery job: route new alert events, POST webhooks, send the e-mail digests that are due.

A plain function the scheduler runs every minute and tests call directly. A database lease
(the scheduler's JobLock) keeps two schedulers from running it at once; the cursor and the
delivery statuses in the database keep a rerun or a restart from sending anything twice.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy.orm import Session, sessionmaker

from backend.config import Settings
from backend.db import transaction, writing
from backend.notify import outbox
from backend.notify.channels import (
    Sleep,
    digest_text,
    post_webhook,
    send_email,
    smtp_configured,
    urls_masked_in_logs,
    webhook_body,
)
from backend.sources.service import acquire_lease

log = logging.getLogger(__name__)

LEASE = "notify"
LEASE_TTL = timedelta(minutes=15)  # longer than a run with every webhook timing out


@dataclass(frozen=True)
class NotifyReport:
    """What one run did."""

    ran: bool
    routed: int = 0
    sent: int = 0
    failed: int = 0
    digests: int = 0

    def summary(self) -> str:
        """Return a one-line account for the log."""
        if not self.ran:
            return "notifications: another scheduler is delivering; skipped"
        return (
            f"notifications: {self.routed} routed, {self.sent} webhooks sent, "
            f"{self.failed} failed, {self.digests} digests sent"
        )


@contextmanager
def _lease(sessions: sessionmaker[Session], now: datetime) -> Iterator[bool]:
    """Hold the notify lease for the run; yield False when another holder has it."""
    holder = f"notify:{uuid.uuid4().hex}"
    with transaction(sessions) as session:
        held = acquire_lease(session=session, name=LEASE, holder=holder, ttl=LEASE_TTL, now=now)
    try:
        yield held
    finally:
        if held:
            with transaction(sessions) as session:
                # Renewing with a negative ttl releases it on the job's own clock.
                acquire_lease(session=session, name=LEASE, holder=holder,
                              ttl=timedelta(seconds=-1), now=now)  # fmt: skip


def _send_webhooks(
    sessions: sessionmaker[Session], settings: Settings, now: datetime, sleep: Sleep
) -> tuple[int, int]:
    """POST every pending webhook; return how many were sent and how many failed."""
    with transaction(sessions) as session:
        messages = outbox.pending_webhooks(session=session)
    sent = 0
    with httpx.Client() as client, urls_masked_in_logs():
        for message in messages:
            body = webhook_body(message.receiver, message.items[0])
            outcome = post_webhook(message.target, body, settings=settings, client=client,
                                   sleep=sleep)  # fmt: skip
            with writing(sessions) as session:
                outbox.settle(session=session, delivery_ids=message.delivery_ids,
                              outcome=outcome, now=now)  # fmt: skip
            sent += outcome.ok
            if not outcome.ok:
                log.warning("webhook of %r failed: %s", message.receiver, outcome.error)
    return sent, len(messages) - sent


def _send_digests(sessions: sessionmaker[Session], settings: Settings, now: datetime) -> int:
    """Send the e-mail digests that are due; return how many went out."""
    interval = timedelta(minutes=settings.notify_digest_minutes)
    with transaction(sessions) as session:
        messages = outbox.due_digests(session=session, now=now, interval=interval)
    if messages and not smtp_configured(settings):
        log.warning("%d e-mail digests wait: TOCSIN_SMTP_HOST is not set", len(messages))
        return 0
    sent = 0
    for message in messages:
        subject, body = digest_text(message.receiver, message.items)
        outcome = send_email(settings, to=message.target, subject=subject, body=body)
        with writing(sessions) as session:
            outbox.settle(session=session, delivery_ids=message.delivery_ids, outcome=outcome,
                          now=now)  # fmt: skip
        sent += outcome.ok
        if not outcome.ok:
            log.warning("digest of %r failed: %s", message.receiver, outcome.error)
    return sent


def deliver_notifications(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    *,
    sleep: Sleep = time.sleep,
) -> NotifyReport:
    """Route alert events after the cursor, send webhooks now and the digests that are due."""
    with _lease(session_factory, now) as held:
        if not held:
            return NotifyReport(ran=False)
        with writing(session_factory) as session:
            routed = outbox.route_new_events(session=session, now=now)
        sent, failed = _send_webhooks(session_factory, settings, now, sleep)
        digests = _send_digests(session_factory, settings, now)
    report = NotifyReport(ran=True, routed=routed, sent=sent, failed=failed, digests=digests)
    log.info("%s", report.summary())
    return report
