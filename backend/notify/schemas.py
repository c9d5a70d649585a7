"""Notification schemas: subscriptions, silences and the delivery log."""

from __future__ import annotations

import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from backend.alerts.schemas import AlertState, RuleName, Severity, UtcDateTime
from backend.listing import Listing
from backend.regions.schemas import RegionCode

Channel = Literal["webhook", "email"]
DeliveryStatus = Literal["pending", "queued", "sent", "failed", "silenced"]
Theme = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-]{1,64}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_GRACE_MINUTES = 366 * 24 * 60


def target_problem(channel: str, target: str) -> str | None:
    """Return why target cannot be used with channel, or None when it can."""
    if channel == "email":
        return None if _EMAIL.match(target) else "target must be an e-mail address"
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "target must be an http(s) URL"
    return None


def masked_target(channel: str, target: str) -> str:
    """Return the target without a webhook URL's credentials, path and query (token places)."""
    if channel == "email":
        return target
    parts = urlsplit(target)
    hidden = parts.username or parts.password or parts.path.strip("/") or parts.query
    return f"{parts.scheme}://{parts.hostname}/..." if hidden else target


def _default_states() -> list[AlertState]:
    return ["firing", "resolved"]


class SubscriptionFields(BaseModel):
    """What a subscription routes, shared by create and update."""

    model_config = ConfigDict(extra="forbid")

    regions: list[RegionCode] = Field(
        default_factory=list, max_length=300,
        description="ISO3 or M49_nnn codes (a region covers its countries); empty: all",
        examples=[["M49_013", "GNB"]],
    )  # fmt: skip
    min_severity: Severity = Field("warning", description="Lowest severity that notifies")
    themes: list[Theme] = Field(
        default_factory=list, max_length=50,
        description="Theme labels of the rules; empty: any", examples=[["homicide"]],
    )  # fmt: skip
    states: list[AlertState] = Field(
        default_factory=_default_states, min_length=1,
        description="Alert states whose transitions notify",
    )  # fmt: skip
    grace_minutes: int = Field(
        1440, ge=0, le=MAX_GRACE_MINUTES,
        description="Do not tell the same alert in the same state again within this time",
    )  # fmt: skip
    enabled: bool = Field(True, description="Off: nothing is routed to it")


class SubscriptionCreate(SubscriptionFields):
    """A new subscription."""

    name: Name = Field(description="What it is for", examples=["Central America desk"])
    channel: Channel = Field(description="webhook (JSON POST) or email (digest)")
    target: str = Field(
        max_length=500, description="Webhook URL or e-mail address",
        examples=["https://chat.example.org/hooks/T0K3N"],
    )  # fmt: skip

    @model_validator(mode="after")
    def _check_target(self) -> SubscriptionCreate:
        problem = target_problem(self.channel, self.target)
        if problem:
            raise ValueError(problem)
        return self


class SubscriptionUpdate(BaseModel):
    """Changes to a subscription; fields left out stay as they are (the channel is fixed)."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = Field(None, description="What it is for")
    target: str | None = Field(None, max_length=500, description="Webhook URL or e-mail address")
    regions: list[RegionCode] | None = Field(None, max_length=300, description="Region codes")
    min_severity: Severity | None = Field(None, description="Lowest severity that notifies")
    themes: list[Theme] | None = Field(None, max_length=50, description="Theme labels")
    states: list[AlertState] | None = Field(None, min_length=1, description="Alert states")
    grace_minutes: int | None = Field(None, ge=0, le=MAX_GRACE_MINUTES, description="Grace")
    enabled: bool | None = Field(None, description="On or off")


class SubscriptionRead(BaseModel):
    """A subscription; a webhook URL is shown without its path, where tokens live."""

    id: int = Field(description="Subscription id", examples=[3])
    name: str = Field(description="What it is for")
    owner: str = Field(description="Who created it", examples=["analyst1"])
    channel: Channel = Field(description="webhook or email")
    target: str = Field(description="Masked webhook URL or e-mail address")
    regions: list[str] = Field(description="Region codes; empty: all")
    min_severity: str = Field(description="Lowest severity that notifies")
    themes: list[str] = Field(description="Theme labels; empty: any")
    states: list[str] = Field(description="Alert states whose transitions notify")
    grace_minutes: int = Field(description="No repeat of the same alert and state within this")
    enabled: bool = Field(description="On or off")
    created_at: UtcDateTime = Field(description="When it was created (UTC)")
    updated_at: UtcDateTime = Field(description="When it was last changed (UTC)")


class SubscriptionPage(Listing[SubscriptionRead]):
    """Every subscription, by name."""


class SilenceCreate(BaseModel):
    """A time-boxed silence: alerts matching every matcher given are not notified."""

    model_config = ConfigDict(extra="forbid")

    rule: RuleName | None = Field(None, description="Rule name", examples=["homicide_rate_spike"])
    region: RegionCode | None = Field(None, description="ISO3 or M49_nnn", examples=["M49_013"])
    severity: Severity | None = Field(None, description="Severity")
    theme: Theme | None = Field(None, description="Theme label", examples=["homicide"])
    starts_at: UtcDateTime | None = Field(None, description="Start (default: now)")
    ends_at: UtcDateTime = Field(description="End (exclusive)")
    comment: str = Field(min_length=1, max_length=2000, description="Why, for the next analyst")

    @model_validator(mode="after")
    def _check(self) -> SilenceCreate:
        if not any((self.rule, self.region, self.severity, self.theme)):
            raise ValueError("a silence needs at least one matcher: rule, region, severity, theme")
        if self.starts_at is not None and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class SilenceUpdate(BaseModel):
    """Move a silence's end or change its comment."""

    model_config = ConfigDict(extra="forbid")

    ends_at: UtcDateTime | None = Field(None, description="New end (exclusive)")
    comment: str | None = Field(None, min_length=1, max_length=2000, description="New comment")


class SilenceRead(BaseModel):
    """A silence and whether it is in force now."""

    id: int = Field(description="Silence id")
    rule: str | None = Field(description="Rule name matched; null: any")
    region: str | None = Field(description="Region code matched (with its countries); null: any")
    severity: str | None = Field(description="Severity matched; null: any")
    theme: str | None = Field(description="Theme label matched; null: any")
    starts_at: UtcDateTime = Field(description="Start (UTC)")
    ends_at: UtcDateTime = Field(description="End, exclusive (UTC)")
    author: str = Field(description="Who created it")
    comment: str = Field(description="Why")
    created_at: UtcDateTime = Field(description="When it was created (UTC)")
    active: bool = Field(description="In force now")


class SilencePage(Listing[SilenceRead]):
    """Silences, newest first."""


class DeliveryRead(BaseModel):
    """One routed alert change and what became of it."""

    id: int = Field(description="Delivery id")
    subscription_id: int | None = Field(description="Subscription (null once deleted)")
    silence_id: int | None = Field(description="The silence that muted it, if any")
    event_id: int = Field(description="The alert event that caused it")
    channel: str = Field(description="webhook or email")
    fingerprint: str = Field(description="Alert fingerprint")
    alert_state: str = Field(description="The state that was notified", examples=["firing"])
    rule: str | None = Field(description="Rule name")
    region: str | None = Field(description="Region code")
    severity: str | None = Field(description="Alert severity")
    status: DeliveryStatus = Field(description="pending, queued (digest), sent, failed, silenced")
    attempts: int = Field(description="Calls made")
    last_error: str | None = Field(description="Why the last call failed (no secrets)")
    created_at: UtcDateTime = Field(description="When the change was routed (UTC)")
    sent_at: UtcDateTime | None = Field(description="When it was sent (UTC), if it was")


class DeliveryPage(BaseModel):
    """The delivery log, newest first."""

    items: list[DeliveryRead] = Field(description="Deliveries, newest first")
    total: int = Field(description="Deliveries matching the filters, all pages")
