"""Upload API shapes: how the upload's ingest run went."""

from __future__ import annotations

from pydantic import BaseModel, Field

from backend.sources.schemas import RunCounts


class UploadRead(BaseModel):
    """The ingest run an upload became, with its counts."""

    run_id: int | None = Field(description="The ingest run of source csv_upload", examples=[58])
    status: str = Field(description="succeeded", examples=["succeeded"])
    filename: str | None = Field(description="Name of the uploaded file", examples=["jam.csv"])
    counts: RunCounts = Field(description="What the run read, changed and quarantined")
    replay_of: int | None = Field(
        description="Set when the same bytes were uploaded before: that run's id; nothing is "
        "parsed again and every row counts as unchanged",
        examples=[None],
    )
    seconds: float = Field(description="How long the run took", examples=[0.4])
