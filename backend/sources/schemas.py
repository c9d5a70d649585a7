"""Source read schemas: freshness and last run per source, run history, the coverage matrix."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from backend.alerts.schemas import UtcDateTime
from backend.csvlist import CsvFormat
from backend.listing import Listing, Page

Freshness = Literal["fresh", "stale", "never"]


class RunCounts(BaseModel):
    """What one ingest run read, changed and rejected."""

    read: int = Field(description="Rows read from the payload", examples=[4210])
    inserted: int = Field(description="New observations", examples=[120])
    revised: int = Field(description="New vintages of known periods", examples=[8])
    unchanged: int = Field(description="Rows identical to what was stored", examples=[4000])
    quarantined: int = Field(description="Rows kept aside with a reason", examples=[2])
    dropped: int = Field(description="Aggregates left out on purpose", examples=[80])


class RunRead(BaseModel):
    """One ingest run of a source."""

    id: int = Field(description="Run id", examples=[57])
    trigger: str = Field(description="manual, schedule or demo", examples=["schedule"])
    status: str = Field(
        description="requested (waiting for the scheduler), running, succeeded, failed or "
        "abandoned",
        examples=["failed"],
    )
    started_at: UtcDateTime = Field(description="Start (UTC)")
    finished_at: UtcDateTime | None = Field(description="End (UTC); null while running")
    counts: RunCounts
    error: str | None = Field(description="Why it failed", examples=["HTTP 503 from publisher"])


class RunPage(Page[RunRead]):
    """One page of a source's runs, newest first."""


class FreshnessRead(BaseModel):
    """How old a source's newest data is against its usual release cadence."""

    status: Freshness = Field(
        description="fresh: newest vintage or successful run within the cadence (plus a quarter"
        " of it as grace); stale: older; never: no data and no successful run",
        examples=["fresh"],
    )
    as_of: date | None = Field(
        description="Newer of the newest vintage and the last successful run's date"
    )
    age_days: int | None = Field(description="Days since as_of", examples=[12])
    cadence_days: int = Field(description="Days between usual releases", examples=[365])


class SourceRead(BaseModel):
    """A source with its schedule, last run and freshness."""

    id: str = Field(description="Source id", examples=["worldbank_homicide"])
    title: str = Field(description="Dataset title")
    publisher: str = Field(description="Publisher", examples=["World Bank"])
    licence: str = Field(description="Licence", examples=["CC BY 4.0"])
    url: str = Field(description="Where the dataset is published")
    cadence: str = Field(description="Usual release cadence", examples=["yearly"])
    schedule: str = Field(
        description="Cron expression of the scheduled run", examples=["0 3 * * 1"]
    )
    enabled: bool = Field(description="Scheduled runs are on")
    next_run: datetime | None = Field(
        description="Next fire time of the schedule (UTC), computed with APScheduler's "
        "CronTrigger; null when disabled or the expression is not valid cron"
    )
    last_run: RunRead | None = Field(description="Newest run, whatever its status")
    freshness: FreshnessRead


class SourcePage(Listing[SourceRead]):
    """Every source, by id (a handful, so not paged)."""


class RunQuery(CsvFormat):
    """Page of a source's runs."""

    model_config = ConfigDict(extra="forbid")

    page: int = Field(default=1, ge=1, le=100_000, description="Page (1-based)", examples=[1])
    page_size: int = Field(default=20, ge=1, le=200, description="Runs per page", examples=[20])


class CoverageRegion(BaseModel):
    """A row of the coverage matrix."""

    code: str = Field(description="ISO3 code", examples=["MEX"])
    name: str = Field(description="Name", examples=["Mexico"])
    group: str = Field(description="M49 region name ('Other' when none)", examples=["Americas"])


class CoverageRead(BaseModel):
    """Countries x indicators: the latest period with a value, in compact form."""

    regions: list[CoverageRegion] = Field(description="Countries, ordered by M49 region then name")
    indicators: list[str] = Field(description="Indicator codes, ordered by code")
    cells: list[tuple[int, int, str]] = Field(
        description="[region index, indicator index, latest period] for each pair with data; "
        "pairs without data are absent",
        examples=[[[0, 3, "2022"]]],
    )
