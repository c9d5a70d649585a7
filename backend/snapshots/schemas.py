"""Snapshot API shapes: create, read with counts and files, summary, and the quarter's diff."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from backend.alerts.schemas import UtcDateTime
from backend.csvlist import CsvFormat
from backend.exports.formats import ExportFormat
from backend.listing import Page

QuarterText = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[12]\d{3}[Qq][1-4]$")
]


class SnapshotCreate(BaseModel):
    """What to freeze."""

    model_config = ConfigDict(extra="forbid")

    quarter: QuarterText = Field(description="Quarter to freeze, YYYYQn", examples=["2023Q4"])
    classification: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Marking printed on the exports; the server's setting when omitted",
        examples=["UNCLASSIFIED"],
    )


class SnapshotCounts(BaseModel):
    """How much the snapshot froze."""

    alerts: int = Field(
        description="Alerts raised, active or resolved in the quarter", examples=[7]
    )
    regions: int = Field(description="Regions with a score", examples=[112])
    documents: int = Field(description="Security Council documents of the quarter", examples=[41])
    observations: int = Field(description="Observations used", examples=[2240])


class SnapshotFileRead(BaseModel):
    """One export of the snapshot."""

    format: ExportFormat = Field(description="pdf, xlsx, csv (zipped tables) or zip")
    sha256: str | None = Field(
        description="The file's sha256; null until the file is first downloaded (exports are "
        "byte-identical, so it never changes afterwards)",
        examples=["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
    )
    url: str = Field(description="Where to download it", examples=["/api/v1/snapshots/3/files/pdf"])


class SnapshotRead(BaseModel):
    """A snapshot: when and by whom it was frozen, its content hash, counts and files."""

    id: int = Field(description="Snapshot id", examples=[3])
    quarter: str = Field(description="The frozen quarter", examples=["2023Q4"])
    created_at: UtcDateTime = Field(description="When it was frozen (UTC)")
    created_by: str = Field(description="Who froze it", examples=["analyst1"])
    sha256: str = Field(description="sha256 of the canonical manifest (its content)")
    classification: str = Field(description="Marking on the exports", examples=["UNCLASSIFIED"])
    counts: SnapshotCounts = Field(description="How much the snapshot froze")
    files: list[SnapshotFileRead] = Field(description="Every export format, in a fixed order")


class SnapshotPage(Page[SnapshotRead]):
    """One page of snapshots, newest first."""


class SnapshotQuery(CsvFormat):
    """Filter and page of the snapshot list."""

    model_config = ConfigDict(extra="forbid")

    quarter: QuarterText | None = Field(
        default=None, description="Only this quarter", examples=["2023Q4"]
    )
    page: int = Field(default=1, ge=1, le=1_000_000, description="Page (1-based)", examples=[1])
    page_size: int = Field(default=20, ge=1, le=200, description="Items per page", examples=[20])


class MoverRead(BaseModel):
    """A region whose latest value deteriorated most against its previous period."""

    indicator: str = Field(description="Indicator code", examples=["homicide_rate"])
    region: str = Field(description="Region code", examples=["HND"])
    region_name: str = Field(description="Region name", examples=["Honduras"])
    period: str = Field(description="Latest period", examples=["2022"])
    value: float | None = Field(description="Latest value", examples=[35.8])
    previous_period: str | None = Field(description="Period compared with", examples=["2021"])
    previous_value: float | None = Field(description="Value then", examples=[31.0])
    change_pct: float | None = Field(description="Change in percent", examples=[15.5])


class SnapshotSummary(BaseModel):
    """The executive summary written from the manifest, and its headline numbers."""

    paragraphs: list[str] = Field(description="The brief's executive summary, plain text")
    changes: str = Field(description="One sentence on what changed since last quarter")
    alerts_raised: int = Field(description="Alerts raised during the quarter", examples=[4])
    alerts_active: int = Field(description="Alerts active at the quarter's end", examples=[6])
    alerts_resolved: int = Field(description="Alerts resolved during the quarter", examples=[1])
    movers: list[MoverRead] = Field(description="Largest deteriorations, largest first")


class SnapshotDetailRead(SnapshotRead):
    """A snapshot with its summary."""

    summary: SnapshotSummary = Field(description="Executive summary and headline numbers")


class ChangedAlert(BaseModel):
    """An alert named in the quarter's changes."""

    id: int = Field(description="Alert id", examples=[412])
    rule: str = Field(description="Rule name", examples=["homicide_rate_spike"])
    region: str = Field(description="Region code", examples=["HND"])
    region_name: str = Field(description="Region name", examples=["Honduras"])
    period: str = Field(description="Data period the alert is about", examples=["2022"])
    severity: str = Field(description="info, warning or critical", examples=["warning"])


class RankChange(BaseModel):
    """A region whose rank on an indicator moved since last quarter (1 = highest value)."""

    indicator: str = Field(description="Indicator code", examples=["homicide_rate"])
    region: str = Field(description="Region code", examples=["HND"])
    region_name: str = Field(description="Region name", examples=["Honduras"])
    previous_rank: int = Field(description="Rank in the previous snapshot", examples=[4])
    rank: int = Field(description="Rank now", examples=[2])
    moved: int = Field(description="Places moved up (negative: down)", examples=[2])


class SnapshotDiff(BaseModel):
    """What changed since the previous quarter's snapshot."""

    snapshot_id: int = Field(description="This snapshot", examples=[3])
    quarter: str = Field(description="This snapshot's quarter", examples=["2023Q4"])
    previous_quarter: str | None = Field(
        description="The quarter compared with; null when it has no snapshot", examples=["2023Q3"]
    )
    summary: str = Field(description="The same sentence as in the brief")
    new: list[ChangedAlert] = Field(description="Alerts active now that were not before")
    escalated: list[ChangedAlert] = Field(description="Alerts more severe, or escalated, now")
    resolved: list[ChangedAlert] = Field(description="Alerts resolved during the quarter")
    ranks: list[RankChange] = Field(description="Rank changes, largest first")
