"""Judgement schemas: an analyst's call on a region, with the reasoning."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from backend.alerts.schemas import UtcDateTime
from backend.csvlist import CsvFormat
from backend.listing import Listing

Verdict = Literal["deteriorated", "improved", "unchanged"]
JudgementText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)
]


class JudgementCreate(BaseModel):
    """An analyst's judgement of a region."""

    model_config = ConfigDict(extra="forbid")

    verdict: Verdict = Field(
        description="deteriorated, improved or unchanged", examples=["deteriorated"]
    )
    text: JudgementText = Field(
        description="The reasoning (1 to 5000 characters)",
        examples=["Cartel violence spread to two more states; rate up for the third year."],
    )


class JudgementRead(BaseModel):
    """A judgement as stored."""

    id: int = Field(description="Judgement id", examples=[3])
    region: str = Field(description="Region code", examples=["MEX"])
    verdict: Verdict = Field(description="deteriorated, improved or unchanged")
    text: str = Field(description="The reasoning")
    author: str = Field(description="Who judged", examples=["analyst1"])
    created_at: UtcDateTime = Field(description="When (UTC)")


class JudgementPage(Listing[JudgementRead]):
    """A region's judgements, newest first."""


class JudgementQuery(CsvFormat):
    """The format of a region's judgement history."""

    model_config = ConfigDict(extra="forbid")
