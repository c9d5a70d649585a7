"""Channels: webhook retries and backoff (respx), SMTP digests (an in-process SMTP stub)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import respx

from backend.config import Settings
from backend.notify.channels import digest_text, post_webhook, send_email, webhook_body
from backend.notify.schemas import masked_target
from tests.backend.notify.factory import HOOK
from tests.backend.notify.smtp_stub import smtp_stub

BODY = webhook_body("desk", {"state": "firing", "region": "HND"})


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    """Yield an httpx client (respx intercepts its calls)."""
    with httpx.Client() as http:
        yield http


@pytest.fixture
def backoff(settings: Settings) -> Settings:
    """Return settings with a 1-second backoff, doubled per retry."""
    return settings.model_copy(update={"notify_backoff": 1.0})


@respx.mock
def test_webhook_posts_the_json_once_on_success(settings: Settings, client: httpx.Client) -> None:
    route = respx.post(HOOK).respond(204)
    outcome = post_webhook(HOOK, BODY, settings=settings, client=client)
    assert (outcome.ok, outcome.attempts, outcome.error) == (True, 1, None)
    assert route.call_count == 1
    sent = route.calls.last.request
    assert sent.headers["content-type"] == "application/json"
    assert httpx.Response(200, content=sent.content).json() == {
        "version": "1", "receiver": "desk", "status": "firing",
        "alerts": [{"state": "firing", "region": "HND"}],
    }  # fmt: skip


@respx.mock
def test_webhook_retries_a_5xx_with_doubling_backoff(
    backoff: Settings, client: httpx.Client
) -> None:
    route = respx.post(HOOK)
    route.side_effect = [httpx.Response(503), httpx.Response(502), httpx.Response(200)]
    waits: list[float] = []
    outcome = post_webhook(HOOK, BODY, settings=backoff, client=client, sleep=waits.append)
    assert (outcome.ok, outcome.attempts) == (True, 3)
    assert waits == [1.0, 2.0]


@respx.mock
def test_webhook_gives_up_after_the_retries_and_says_why(
    settings: Settings, client: httpx.Client
) -> None:
    route = respx.post(HOOK).mock(side_effect=httpx.ReadTimeout("slow"))
    outcome = post_webhook(HOOK, BODY, settings=settings, client=client, sleep=lambda _s: None)
    assert (outcome.ok, outcome.attempts, outcome.error) == (False, 3, "timed out")
    assert route.call_count == 3


@respx.mock
def test_webhook_does_not_retry_a_client_error_nor_quote_the_url(
    settings: Settings, client: httpx.Client
) -> None:
    route = respx.post(HOOK).respond(404)
    outcome = post_webhook(HOOK, BODY, settings=settings, client=client)
    assert (outcome.ok, outcome.attempts, outcome.error) == (False, 1, "HTTP 404")
    assert route.call_count == 1
    respx.post(HOOK).mock(side_effect=httpx.ConnectError(f"cannot reach {HOOK}"))
    refused = post_webhook(HOOK, BODY, settings=settings, client=client, sleep=lambda _s: None)
    assert refused.error == "ConnectError"


def test_digest_text_lists_each_change() -> None:
    items = [
        {"state": "firing", "severity": "critical", "region": "HND", "rule": "spike",
         "period": "2025", "explanation": "rate 40 above 30"},
        {"state": "resolved", "severity": "warning", "region": "GTM", "rule": "spike",
         "period": "2024", "explanation": "back below"},
    ]  # fmt: skip
    subject, body = digest_text("desk", items)
    assert subject == "[Tocsin] desk: 2 alert changes, 1 firing"
    assert "- FIRING critical HND spike 2025: rate 40 above 30" in body
    assert "- RESOLVED warning GTM spike 2024: back below" in body


def test_send_email_delivers_through_smtp(settings: Settings) -> None:
    with smtp_stub() as mailbox:
        smtp = settings.model_copy(
            update={"smtp_host": mailbox.host, "smtp_port": mailbox.port, "smtp_starttls": False,
                    "smtp_from": "tocsin@example.org"}
        )  # fmt: skip
        outcome = send_email(smtp, to="desk@example.org", subject="Hello", body="Line one\n")
    assert (outcome.ok, outcome.attempts) == (True, 1)
    [message] = mailbox.messages
    assert (message["From"], message["To"], message["Subject"]) == (
        "tocsin@example.org", "desk@example.org", "Hello",
    )  # fmt: skip
    assert message.get_payload(decode=True).splitlines() == [b"Line one"]


def test_the_smtp_password_is_a_secret_setting(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOCSIN_SMTP_PASSWORD", "hunter2-S3CRET")
    configured = Settings(database_url=settings.database_url)
    assert configured.smtp_password is not None
    assert configured.smtp_password.get_secret_value() == "hunter2-S3CRET"
    assert "S3CRET" not in repr(configured) and "S3CRET" not in str(configured.model_dump())


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.example.org/services/T0K3N", "https://hooks.example.org/..."),
        ("https://hooks.example.org/in?token=T0K3N", "https://hooks.example.org/..."),
        ("https://user:T0K3N@hooks.example.org", "https://hooks.example.org/..."),
        ("https://hooks.example.org/", "https://hooks.example.org/"),
    ],
)
def test_webhook_urls_are_masked(url: str, shown: str) -> None:
    assert masked_target("webhook", url) == shown
    assert masked_target("email", "desk@example.org") == "desk@example.org"


def test_send_email_reports_a_refused_connection(settings: Settings) -> None:
    with smtp_stub() as mailbox:
        port = mailbox.port
    closed = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
    outcome = send_email(closed, to="desk@example.org", subject="s", body="b")
    assert (outcome.ok, outcome.error) == (False, "ConnectionRefusedError")
