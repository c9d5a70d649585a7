"""Region schemas: countries, areas and the UN M49 units above them, as the API shows them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from backend.csvlist import CsvFormat
from backend.listing import Listing

RegionLevel = Literal["world", "region", "subregion", "intermediate", "country", "area"]

# ISO3, M49_nnn or an area code; the pattern keeps control characters away from the database.
RegionCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-]{2,16}$")]


class RegionRef(BaseModel):
    """A region named by code and name."""

    code: str = Field(description="ISO3, M49_nnn or area code", examples=["MEX"])
    name: str = Field(description="English short name", examples=["Mexico"])


class RegionRead(BaseModel):
    """A country, area or M49 unit with its place in the M49 hierarchy."""

    code: str = Field(description="ISO3 for countries, M49_nnn for aggregates", examples=["MEX"])
    m49: int | None = Field(description="UN M49 numeric code", examples=[484])
    name: str = Field(description="English short name (UN M49)", examples=["Mexico"])
    level: RegionLevel = Field(description="Place in the hierarchy", examples=["country"])
    parent: str | None = Field(
        description="Code of the direct parent (smallest M49 unit containing it)",
        examples=["M49_013"],
    )
    parent_name: str | None = Field(
        description="Name of the direct parent", examples=["Central America"]
    )
    region: str | None = Field(description="Code of the M49 region", examples=["M49_019"])
    region_name: str | None = Field(description="Name of the M49 region", examples=["Americas"])
    subregion: str | None = Field(description="Code of the M49 sub-region", examples=["M49_419"])
    subregion_name: str | None = Field(
        description="Name of the M49 sub-region", examples=["Latin America and the Caribbean"]
    )
    intermediate: str | None = Field(
        description="Code of the M49 intermediate region, if any", examples=["M49_013"]
    )
    intermediate_name: str | None = Field(
        description="Name of the M49 intermediate region", examples=["Central America"]
    )
    iso2: str | None = Field(description="ISO 3166 alpha-2 code", examples=["MX"])
    sids: bool = Field(description="Small island developing state", examples=[False])
    ldc: bool = Field(description="Least developed country", examples=[False])
    lldc: bool = Field(description="Land-locked developing country", examples=[False])
    lat: float | None = Field(description="Latitude of a representative point", examples=[23.6])
    lon: float | None = Field(description="Longitude of a representative point", examples=[-102.5])


class RegionPage(Listing[RegionRead]):
    """Every region that matches the filters, by code (a few hundred at most, so not paged)."""


class RegionFilter(CsvFormat):
    """Query filters for the region list."""

    model_config = ConfigDict(extra="forbid")

    level: RegionLevel | None = Field(
        default=None, description="Only this level", examples=["country"]
    )
    parent: RegionCode | None = Field(
        default=None, description="Only direct children of this region", examples=["M49_013"]
    )
    within: RegionCode | None = Field(
        default=None,
        description="Only regions inside this M49 region, sub-region or intermediate region",
        examples=["M49_002"],
    )
