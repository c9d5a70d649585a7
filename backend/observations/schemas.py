"""Observation read schemas: indicators, the heat map and one region's series."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from backend.csvlist import CsvFormat
from backend.listing import Listing
from backend.regions.schemas import RegionCode, RegionRef

# Year, quarter, month or day, as stored in observation.period.
PERIOD_PATTERN = r"^\d{4}(Q[1-4]|-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$"
Period = Annotated[str, StringConstraints(pattern=PERIOD_PATTERN)]
IndicatorCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
HeatmapLevel = Literal["country", "subregion", "region"]


class IndicatorRef(BaseModel):
    """What an indicator measures, enough to label a map or chart."""

    code: str = Field(description="Stable indicator code", examples=["homicide_rate"])
    name: str = Field(description="Human name", examples=["Intentional homicide rate"])
    unit: str = Field(description="Unit of the values", examples=["per 100,000 population"])
    higher_is_worse: bool = Field(
        description="Higher values mean more risk (colour scales flip otherwise)", examples=[True]
    )


class IndicatorRead(IndicatorRef):
    """An indicator and the span of periods that have data."""

    frequency: str = Field(description="year, quarter, month or day", examples=["year"])
    description: str = Field(
        default="", description="What is measured", examples=["Victims per 100,000 population"]
    )
    source: str | None = Field(
        description="Id of the primary source", examples=["worldbank_homicide"]
    )
    periods: list[str] = Field(
        description="[first, last] period with data, or [] when the indicator has no data yet",
        examples=[["1990", "2023"]],
    )


class IndicatorPage(Listing[IndicatorRead]):
    """Every indicator in the catalogue, by code."""


class Coverage(BaseModel):
    """How many units have a value out of how many there are."""

    with_data: int = Field(description="Units with a value", examples=[187])
    total: int = Field(description="Units on the map", examples=[248])


class HeatmapItem(BaseModel):
    """One coloured unit of the heat map."""

    region: str = Field(description="Region code (ISO3 or M49_nnn)", examples=["MEX"])
    name: str = Field(description="Region name", examples=["Mexico"])
    value: float = Field(
        description="The value; for sub-regions and regions, the MEDIAN of member countries' "
        "values (a population-weighted mean needs population, which Tocsin does not hold)",
        examples=[28.2],
    )
    period: str = Field(description="Period of the value", examples=["2020"])
    vintage: date = Field(
        description="Release the value comes from (newest member release for aggregates)",
        examples=["2024-06-30"],
    )
    source: str = Field(
        description="Source id (comma-separated distinct ids for aggregates)",
        examples=["worldbank_homicide"],
    )
    is_demo: bool = Field(description="Demo data (any member, for aggregates)", examples=[False])
    coverage: Coverage | None = Field(
        default=None,
        description="Aggregates only: member countries with a value / all member countries",
    )


class HeatmapRead(BaseModel):
    """One indicator for one period across units of one level, with what is missing."""

    indicator: IndicatorRef
    period: str | None = Field(
        description=(
            "The period shown; when not asked, the latest of the last ten periods with at least"
            " half the best coverage (null if no data)"
        ),
        examples=["2020"],
    )
    level: HeatmapLevel = Field(description="Unit of the map", examples=["country"])
    periods: list[str] = Field(
        description="Every period stored for the indicator, ascending (for the slider)",
        examples=[["2018", "2019", "2020"]],
    )
    items: list[HeatmapItem] = Field(description="Units with a value, ordered by code")
    missing: list[RegionRef] = Field(
        description="Units without a value in that period (drawn grey, not as low risk)"
    )
    coverage: Coverage = Field(description="Units with a value / all units of the level")


class ObservationRead(BaseModel):
    """One value of a series as published in one release."""

    period: str = Field(description="Year, quarter, month or day", examples=["2020"])
    period_start: date = Field(description="First day of the period", examples=["2020-01-01"])
    value: float | None = Field(
        description="The value (null when published as missing)", examples=[28.2]
    )
    vintage: date = Field(description="Release date of the publication", examples=["2024-06-30"])
    is_latest: bool = Field(description="Newest vintage of this period", examples=[True])
    is_demo: bool = Field(description="Demo data", examples=[False])
    source: str = Field(description="Source id", examples=["worldbank_homicide"])


class SeriesRead(BaseModel):
    """One indicator for one region over time."""

    region: RegionRef
    indicator: IndicatorRef
    vintages: bool = Field(
        description="Every vintage is listed, not only the latest", examples=[False]
    )
    items: list[ObservationRead] = Field(description="Observations by period, then vintage")
    total: int = Field(description="Number of items", examples=[34])


class HeatmapQuery(BaseModel):
    """Query of the heat map."""

    model_config = ConfigDict(extra="forbid")

    indicator: IndicatorCode = Field(description="Indicator code", examples=["homicide_rate"])
    period: Period | None = Field(
        default=None,
        description="Period to show; the latest with data when omitted",
        examples=["2020"],
    )
    level: HeatmapLevel = Field(
        default="country",
        description="country, or subregion/region: M49 units coloured by the median of their "
        "countries' values, each with its coverage",
        examples=["country"],
    )


class SeriesQuery(CsvFormat):
    """Query of one region's series of one indicator."""

    model_config = ConfigDict(extra="forbid")

    region: RegionCode = Field(description="Region code", examples=["MEX"])
    indicator: IndicatorCode = Field(description="Indicator code", examples=["homicide_rate"])
    vintages: bool = Field(
        default=False,
        description="List every vintage (revisions), not only the latest",
        examples=[False],
    )
    period_from: Period | None = Field(
        default=None, description="First period (inclusive)", examples=["2010"]
    )
    period_to: Period | None = Field(
        default=None, description="Last period (inclusive)", examples=["2020"]
    )
