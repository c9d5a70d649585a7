"""Document read schemas: Security Council meetings and outcomes with their tags."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from backend.csvlist import CsvFormat
from backend.listing import Page
from backend.regions.schemas import RegionCode

Word = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-]{1,64}$")]


class DocumentTags(BaseModel):
    """What a document is about."""

    regions: list[str] = Field(description="Region codes", examples=[["GNB"]])
    themes: list[str] = Field(description="Crime themes", examples=[["drug_trafficking"]])


class DocumentRead(BaseModel):
    """A meeting record, resolution, presidential or press statement."""

    id: int = Field(description="Document id", examples=[12])
    symbol: str = Field(description="UN document symbol", examples=["S/PV.9000"])
    kind: str = Field(description="meeting, resolution, prst, press, ...", examples=["meeting"])
    date: dt.date | None = Field(description="Date of the meeting or adoption")
    title: str = Field(description="Title or topic")
    url: str | None = Field(description="Link to the document")
    meeting_symbol: str | None = Field(
        description="Meeting that adopted it", examples=["S/PV.9000"]
    )
    source: str = Field(description="Source id", examples=["unsc_meetings"])
    is_demo: bool = Field(description="Demo data")
    tags: DocumentTags


class DocumentPage(Page[DocumentRead]):
    """One page of documents, newest first, with the total that matched."""


class DocumentQuery(CsvFormat):
    """Filters and page of the document list."""

    model_config = ConfigDict(extra="forbid")

    region: RegionCode | None = Field(
        default=None, description="Only documents tagged with this region", examples=["GNB"]
    )
    theme: Word | None = Field(
        default=None, description="Only documents tagged with this theme", examples=["drugs"]
    )
    kind: Word | None = Field(default=None, description="Only this kind", examples=["meeting"])
    date_from: dt.date | None = Field(default=None, description="First date (inclusive)")
    date_to: dt.date | None = Field(default=None, description="Last date (inclusive)")
    page: int = Field(default=1, ge=1, le=100_000, description="Page (1-based)", examples=[1])
    page_size: int = Field(
        default=100, ge=1, le=1000, description="Documents per page", examples=[100]
    )
