"""Reference episode schemas: known deteriorations that rules are scored against."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from backend.alerts.schemas import UtcDateTime
from backend.csvlist import CsvFormat
from backend.listing import Page
from backend.observations.schemas import Period
from backend.regions.schemas import RegionCode
from rules.scoring import period_start


def _real_period(period: str) -> str:
    period_start(period)  # raises ValueError for 2021-02-30 and the like
    return period


RegionText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
OnsetPeriod = Annotated[Period, AfterValidator(_real_period)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Theme = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-]{1,64}$")]
REQUIRED = ("region", "onset_period", "label")
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]


class EpisodeCreate(BaseModel):
    """A known deterioration: where, when it began, and a short label."""

    model_config = ConfigDict(extra="forbid")

    region: RegionText = Field(
        description="ISO3 code, M49 number or any known name of the region",
        examples=["HND", "Honduras"],
    )
    onset_period: OnsetPeriod = Field(
        description="Period the deterioration began: 2008, 2008Q3, 2008-07 or 2008-07-15",
        examples=["2008"],
    )
    label: Label = Field(description="Short name", examples=["Honduras homicide surge"])
    theme: Theme | None = Field(default=None, description="Crime theme", examples=["homicide"])
    note: Note | None = Field(default=None, description="Why it counts, sources")


class EpisodeUpdate(BaseModel):
    """Fields to change on an episode (PATCH); absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    region: RegionText | None = Field(default=None, description="ISO3 code or region name")
    onset_period: OnsetPeriod | None = Field(default=None, description="Onset period")
    label: Label | None = Field(default=None, description="Short name")
    theme: Theme | None = Field(default=None, description="Crime theme")
    note: Note | None = Field(default=None, description="Why it counts, sources")

    @model_validator(mode="after")
    def _required_stay_set(self) -> EpisodeUpdate:
        """Refuse null for the fields every episode must have (theme and note may be null)."""
        for name in REQUIRED:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class EpisodeRead(BaseModel):
    """A reference episode as stored."""

    id: int = Field(description="Episode id", examples=[7])
    region: str = Field(description="Region code", examples=["HND"])
    region_name: str = Field(description="Region name", examples=["Honduras"])
    onset_period: str = Field(description="Onset period", examples=["2008"])
    label: str = Field(description="Short name", examples=["Honduras homicide surge"])
    theme: str | None = Field(description="Crime theme", examples=["homicide"])
    note: str | None = Field(description="Why it counts, sources")
    created_by: str = Field(description="Who added it", examples=["analyst1"])
    created_at: UtcDateTime = Field(description="When it was added (UTC)")


class EpisodePage(Page[EpisodeRead]):
    """One page of episodes, by region then onset, with the total that matched."""


class EpisodeQuery(CsvFormat):
    """Filters and page of the episode list."""

    model_config = ConfigDict(extra="forbid")

    region: RegionCode | None = Field(
        default=None, description="Only this region (code)", examples=["HND"]
    )
    theme: Theme | None = Field(default=None, description="Only this theme", examples=["homicide"])
    page: int = Field(default=1, ge=1, le=100_000, description="Page (1-based)", examples=[1])
    page_size: int = Field(
        default=100, ge=1, le=1000, description="Episodes per page", examples=[100]
    )


class EpisodeImported(BaseModel):
    """What a CSV import stored."""

    imported: int = Field(description="Episodes added", examples=[12])
    items: list[EpisodeRead] = Field(description="The episodes added, in file order")
