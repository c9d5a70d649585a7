"""The audit log as the API shows it: who did what to which entity, when, before and after."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from backend.csvlist import CsvFormat
from backend.listing import Page
from backend.timeutil import as_utc


class AuditRead(BaseModel):
    """One audit entry: a write and who made it."""

    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="Entry id, in the order the writes happened", examples=[812])
    at: datetime = Field(description="When (UTC)")
    actor: str = Field(description="Username, or system:<job>", examples=["ana"])
    action: str = Field(description="What was done", examples=["rule.update"])
    entity: str = Field(description="What kind of thing", examples=["rule"])
    entity_id: str | None = Field(description="Which one", examples=["homicide_rate_jump"])
    before: dict[str, object] | None = Field(description="Its state before (rules and users)")
    after: dict[str, object] | None = Field(description="Its state after")
    note: str | None = Field(description="The reason given, if any", examples=["fewer repeats"])

    @field_validator("at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return as_utc(value)


class AuditPage(Page[AuditRead]):
    """One page of audit entries, newest first."""


class AuditQuery(CsvFormat):
    """Filters and page of the audit log; every filter is optional."""

    model_config = ConfigDict(extra="forbid")

    entity: str | None = Field(default=None, max_length=64, description="Kind", examples=["rule"])
    entity_id: str | None = Field(default=None, max_length=64, description="Id within the kind")
    actor: str | None = Field(default=None, max_length=100, description="Username or system:job")
    action: str | None = Field(default=None, max_length=64, examples=["alert.acknowledge"])
    since: datetime | None = Field(default=None, description="At or after (ISO 8601)")
    until: datetime | None = Field(default=None, description="Before (ISO 8601)")
    page: int = Field(default=1, ge=1, le=100_000, description="Page (1-based)", examples=[1])
    page_size: int = Field(default=50, ge=1, le=200, description="Entries per page")
