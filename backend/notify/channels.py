"""Channels: webhook POSTs with retries and backoff, and SMTP e-mail digests.

Error texts kept in the delivery log name the failure (``timed out``, ``HTTP 503``,
``SMTPAuthenticationError 535``) but never the URL or the server's echo of a login: a
webhook URL often carries a token, and the SMTP password must not leave the settings.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage

import httpx

from backend.config import Settings
from backend.notify.schemas import masked_target

Sleep = Callable[[float], None]


@dataclass(frozen=True)
class Outcome:
    """How one delivery went: sent or not, after how many attempts, and why not."""

    ok: bool
    attempts: int
    error: str | None = None


@dataclass(frozen=True)
class _Attempt:
    error: str | None
    retryable: bool = True


def _post_once(
    client: httpx.Client, url: str, body: Mapping[str, object], timeout: float
) -> _Attempt:
    """POST once; a 4xx other than 408/429 will not get better by trying again."""
    try:
        response = client.post(url, json=body, timeout=timeout)
    except httpx.TimeoutException:
        return _Attempt("timed out")
    except httpx.HTTPError as exc:
        return _Attempt(type(exc).__name__)  # str(exc) would quote the URL
    status = response.status_code
    if status < 300:
        return _Attempt(None)
    return _Attempt(f"HTTP {status}", retryable=status >= 500 or status in (408, 429))


def post_webhook(
    url: str,
    body: Mapping[str, object],
    *,
    settings: Settings,
    client: httpx.Client,
    sleep: Sleep = time.sleep,
) -> Outcome:
    """POST the JSON body, retrying timeouts, errors and 5xx with doubling backoff."""
    attempt = _Attempt("not tried")
    for number in range(1, settings.notify_retries + 2):
        if number > 1:
            sleep(settings.notify_backoff * 2 ** (number - 2))
        attempt = _post_once(client, url, body, settings.notify_timeout)
        if attempt.error is None:
            return Outcome(ok=True, attempts=number)
        if not attempt.retryable:
            break
    return Outcome(ok=False, attempts=number, error=attempt.error)


class _MaskUrls(logging.Filter):
    """Mask the URL in httpx's request log lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace every URL argument by its masked form; keep the record."""
        if isinstance(record.args, tuple):
            record.args = tuple(
                masked_target("webhook", str(arg)) if isinstance(arg, httpx.URL) else arg
                for arg in record.args
            )
        return True


@contextmanager
def urls_masked_in_logs() -> Iterator[None]:
    """Mask URLs in httpx's INFO request lines for the block: webhook URLs carry tokens."""
    logger, mask = logging.getLogger("httpx"), _MaskUrls()
    logger.addFilter(mask)
    try:
        yield
    finally:
        logger.removeFilter(mask)


def webhook_body(receiver: str, payload: Mapping[str, object]) -> dict[str, object]:
    """Return the JSON a webhook receives: Alertmanager's envelope around one alert."""
    return {
        "version": "1",
        "receiver": receiver,
        "status": payload.get("state"),
        "alerts": [dict(payload)],
    }


def _line(item: Mapping[str, object]) -> str:
    state, severity = str(item.get("state", "")).upper(), item.get("severity")
    head = f"{state} {severity} {item.get('region')} {item.get('rule')} {item.get('period')}"
    return f"- {head}: {item.get('explanation', '')}"


def digest_text(receiver: str, items: Sequence[Mapping[str, object]]) -> tuple[str, str]:
    """Return the subject and plain-text body of a digest of alert changes."""
    firing = sum(1 for item in items if item.get("state") == "firing")
    subject = f"[Tocsin] {receiver}: {len(items)} alert changes, {firing} firing"
    lines = [f"Tocsin alert digest for subscription {receiver!r}.", ""]
    lines += [_line(item) for item in items]
    return subject, "\n".join(lines) + "\n"


def smtp_configured(settings: Settings) -> bool:
    """Tell whether e-mail can be sent (an SMTP host is set)."""
    return bool(settings.smtp_host)


def send_email(settings: Settings, *, to: str, subject: str, body: str) -> Outcome:
    """Send one plain-text message through the configured SMTP server."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.smtp_from, to, subject
    message.set_content(body)
    try:
        _smtp_send(settings, message)
    except smtplib.SMTPResponseException as exc:
        return Outcome(ok=False, attempts=1, error=f"{type(exc).__name__} {exc.smtp_code}")
    except (smtplib.SMTPException, OSError) as exc:
        return Outcome(ok=False, attempts=1, error=type(exc).__name__)
    return Outcome(ok=True, attempts=1)


def _smtp_send(settings: Settings, message: EmailMessage) -> None:
    """Connect, upgrade with STARTTLS and log in when configured, and send."""
    host = settings.smtp_host or ""
    with smtplib.SMTP(host, settings.smtp_port, timeout=settings.notify_timeout) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user and settings.smtp_password is not None:
            smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
        smtp.send_message(message)
