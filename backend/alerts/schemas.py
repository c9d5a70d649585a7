"""Alert read schemas: the inbox page and one alert with its history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from backend.csvlist import CsvFormat
from backend.listing import Page
from backend.observations.schemas import IndicatorCode, Period
from backend.regions.schemas import RegionCode
from backend.timeutil import as_utc

# SQLite hands back naive datetimes; everything Tocsin stores is UTC.
UtcDateTime = Annotated[datetime, AfterValidator(as_utc)]
AlertState = Literal["pending", "firing", "resolved", "nodata", "error"]
Triage = Literal["new", "acknowledged", "escalated", "dismissed"]
Severity = Literal["info", "warning", "critical"]
RuleName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:\-]{1,100}$")]
AlertSort = Literal[
    "detected_at", "-detected_at", "period", "-period", "severity", "-severity",
    "region", "-region", "rule", "-rule", "state", "-state", "id", "-id",
]  # fmt: skip


class AlertRead(BaseModel):
    """An alert as listed in the inbox."""

    id: int = Field(description="Alert id", examples=[412])
    rule: str = Field(description="Rule name", examples=["homicide_rate_spike"])
    rule_version: int = Field(description="Version of the rule that raised it", examples=[3])
    region: str = Field(description="Region code", examples=["HND"])
    region_name: str = Field(description="Region name", examples=["Honduras"])
    indicator: str = Field(description="Indicator code", examples=["homicide_rate"])
    period: str = Field(description="Data period the alert is about", examples=["2022"])
    state: str = Field(
        description="pending, firing, resolved, nodata or error", examples=["firing"]
    )
    triage: str = Field(
        description="new, acknowledged, escalated or dismissed", examples=["acknowledged"]
    )
    severity: str = Field(description="info, warning or critical", examples=["critical"])
    value: float | None = Field(description="Observed value", examples=[38.9])
    baseline: float | None = Field(description="Baseline the rule compared with", examples=[24.1])
    threshold: float | None = Field(description="Threshold that was crossed", examples=[31.3])
    explanation: str = Field(
        description="Why it fired, with the numbers",
        examples=["Homicide rate 38.9 is 61% above the 5-year median 24.1 (threshold +30%)"],
    )
    detected_at: UtcDateTime = Field(
        description="When the engine raised it (ISO 8601, UTC)", examples=["2024-06-30T04:12:00Z"]
    )
    assignee: str | None = Field(description="Who is working on it", examples=["analyst1"])
    is_demo: bool = Field(description="Raised on demo data", examples=[False])
    is_rollup: bool = Field(
        default=False,
        description="A regional alert bundling the alerts of several countries of one M49 "
        "sub-region (region is the sub-region; the detail lists the members)",
        examples=[False],
    )
    muted_by: int | None = Field(
        default=None,
        description="Id of the firing higher-severity alert of the same region and theme "
        "that mutes this one (its state is unchanged; the explanation says why)",
        examples=[None],
    )


class AlertPage(Page[AlertRead]):
    """One page of alerts with the total that matched."""


class AlertTransitionRead(BaseModel):
    """A change of state, triage or assignee."""

    at: UtcDateTime = Field(description="When (UTC)", examples=["2024-06-30T04:12:00Z"])
    actor: str = Field(description="Username or system:rules", examples=["system:rules"])
    field: str = Field(description="state, triage or assignee", examples=["state"])
    from_value: str | None = Field(description="Value before", examples=["pending"])
    to_value: str | None = Field(description="Value after", examples=["firing"])
    note: str | None = Field(description="Why, when given", examples=[None])


class AlertCommentRead(BaseModel):
    """A comment on an alert."""

    author: str = Field(description="Who wrote it", examples=["analyst1"])
    body: str = Field(description="Text", examples=["Matches press reports of gang conflict."])
    created_at: UtcDateTime = Field(description="When (UTC)", examples=["2024-07-01T09:30:00Z"])


class AlertFeedbackRead(BaseModel):
    """A feedback label (useful, false_alarm, already_known, too_late)."""

    label: str = Field(description="The label", examples=["useful"])
    author: str = Field(description="Who gave it", examples=["analyst1"])
    created_at: UtcDateTime = Field(description="When (UTC)", examples=["2024-07-01T09:31:00Z"])


class AlertMemberRead(BaseModel):
    """A country alert bundled into a regional roll-up."""

    alert_id: int = Field(description="Alert id", examples=[413])
    region: str = Field(description="Country code", examples=["HND"])
    severity: str = Field(description="Its severity", examples=["warning"])
    value: float | None = Field(description="Its value", examples=[38.9])


class AlertDetailRead(AlertRead):
    """One alert with its details, labels and history."""

    fingerprint: str = Field(description="Deduplication key", examples=["9f2c1e0a"])
    members: list[AlertMemberRead] = Field(
        default_factory=list, description="A roll-up's member alerts (empty otherwise)"
    )
    details: dict[str, Any] = Field(
        description="Rule-specific numbers behind the explanation", examples=[{"window": 5}]
    )
    labels: dict[str, str] = Field(
        description="Labels set by the rule", examples=[{"theme": "violence"}]
    )
    transitions: list[AlertTransitionRead] = Field(description="History, oldest first")
    comments: list[AlertCommentRead] = Field(description="Comments, oldest first")
    feedback: list[AlertFeedbackRead] = Field(description="Feedback labels, oldest first")


class AlertQuery(CsvFormat):
    """Filters, sort and page of the alert list."""

    model_config = ConfigDict(extra="forbid")

    state: list[AlertState] = Field(
        default_factory=list, description="Any of these states (repeat the parameter)",
        examples=[["firing", "pending"]],
    )  # fmt: skip
    severity: list[Severity] = Field(
        default_factory=list, description="Any of these severities", examples=[["critical"]]
    )
    triage: list[Triage] = Field(
        default_factory=list, description="Any of these triage statuses", examples=[["new"]]
    )
    region: list[RegionCode] = Field(
        default_factory=list, description="Any of these region codes", examples=[["HND", "GTM"]]
    )
    within: RegionCode | None = Field(
        default=None,
        description="Only regions inside this M49 region, sub-region or intermediate region",
        examples=["M49_013"],
    )
    rule: list[RuleName] = Field(
        default_factory=list,
        description="Any of these rule names",
        examples=[["homicide_rate_spike"]],
    )
    indicator: list[IndicatorCode] = Field(
        default_factory=list,
        description="Any of these indicator codes",
        examples=[["homicide_rate"]],
    )
    period_from: Period | None = Field(
        default=None, description="Data period from (inclusive)", examples=["2018"]
    )
    period_to: Period | None = Field(
        default=None,
        description="Data period to (inclusive; 2020 also covers 2020Q4 and 2020-12)",
        examples=["2023"],
    )
    is_demo: bool | None = Field(
        default=None, description="Only demo (true) or only real (false) alerts", examples=[False]
    )
    include_muted: bool = Field(
        default=False,
        description="Also list alerts muted by a higher-severity alert of the same region "
        "and theme (left out by default)",
        examples=[False],
    )
    sort: AlertSort = Field(
        default="-detected_at",
        description="Sort key; '-' for descending. Severity sorts by rank (info < warning < "
        "critical). Ties break by newest id",
        examples=["-detected_at"],
    )
    page: int = Field(default=1, ge=1, le=1_000_000, description="Page (1-based)", examples=[1])
    page_size: int = Field(default=50, ge=1, le=500, description="Items per page", examples=[50])


# --- Triage writes -------------------------------------------------------------------------

# The users domain's username shape (its schemas import this module, so it is not imported).
Username = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, pattern=r"^[a-z0-9][a-z0-9_.\-]{1,63}$"
    ),
]
FeedbackLabel = Literal["useful", "false_alarm", "already_known", "too_late"]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
BulkActionName = Literal["acknowledge", "escalate", "dismiss", "assign", "label"]


class TriageRequest(BaseModel):
    """An optional note kept with a triage change."""

    model_config = ConfigDict(extra="forbid")

    note: Note | None = Field(
        default=None, description="Why (kept with the transition)", examples=["Seen in press"]
    )


class AssignRequest(TriageRequest):
    """Who should work on the alert."""

    assignee: Username | None = Field(
        description="Username of an active user, or null to unassign", examples=["analyst1"]
    )


class CommentCreate(BaseModel):
    """A comment to add to an alert."""

    model_config = ConfigDict(extra="forbid")

    body: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)
    ] = Field(description="Text", examples=["Matches press reports of gang conflict."])


class LabelCreate(BaseModel):
    """A feedback label for the rule scorecards."""

    model_config = ConfigDict(extra="forbid")

    label: FeedbackLabel = Field(
        description="useful, false_alarm, already_known or too_late", examples=["useful"]
    )


class BulkRequest(BaseModel):
    """One action applied to many alerts (the inbox's select-many)."""

    model_config = ConfigDict(extra="forbid")

    ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(
        min_length=1, max_length=500, description="Alert ids", examples=[[412, 413]]
    )
    action: BulkActionName = Field(description="What to do to each", examples=["acknowledge"])
    note: Note | None = Field(default=None, description="Note for triage and assign")
    assignee: Username | None = Field(
        default=None, description="For assign: username, or null to unassign"
    )
    label: FeedbackLabel | None = Field(default=None, description="For label: the label")


class BulkItemRead(BaseModel):
    """What the action came to for one alert."""

    id: int = Field(description="Alert id", examples=[412])
    status: int = Field(description="200 done, 404 no such alert, 409 not allowed now")
    detail: str | None = Field(default=None, description="Why not, when it was refused")


class BulkRead(BaseModel):
    """The outcome of a bulk action, alert by alert."""

    done: int = Field(description="Alerts changed", examples=[2])
    refused: int = Field(description="Alerts left as they were", examples=[0])
    items: list[BulkItemRead] = Field(description="One entry per requested id, in order")


class AlertHistoryItem(BaseModel):
    """One entry of an alert's timeline: a transition, a comment or a feedback label."""

    kind: Literal["transition", "comment", "label"] = Field(description="What happened")
    at: UtcDateTime = Field(description="When (UTC)", examples=["2024-07-01T09:30:00Z"])
    actor: str = Field(description="Who: a username or system:rules", examples=["analyst1"])
    field: str | None = Field(default=None, description="Transition: state, triage or assignee")
    from_value: str | None = Field(default=None, description="Transition: value before")
    to_value: str | None = Field(default=None, description="Transition: value after")
    note: str | None = Field(default=None, description="Transition: why, when given")
    body: str | None = Field(default=None, description="Comment: the text")
    label: str | None = Field(default=None, description="Label: the feedback label")


class AlertHistory(BaseModel):
    """An alert's whole timeline, oldest first."""

    alert_id: int = Field(description="Alert id", examples=[412])
    items: list[AlertHistoryItem] = Field(description="Transitions, comments and labels")
