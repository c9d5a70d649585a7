"""Run an uploaded CSV through the csv_upload ingest, the path `tocsin ingest run` takes."""

from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

from sqlalchemy.orm import Session

from backend.audit import service as audit
from backend.context import AppContext
from backend.errors import InvalidInput, ServiceUnavailable, TooLarge
from backend.sources.schemas import RunCounts
from backend.uploads.schemas import UploadRead
from backend.users.models import User

if TYPE_CHECKING:
    from ingest.sources.base import Payload

SOURCE_ID = "csv_upload"
TRIGGER = "upload"
MAX_UPLOAD_BYTES = 5_000_000


def read_limited(stream: BinaryIO) -> bytes:
    """Read an uploaded file, refusing one over the size limit without reading it all."""
    content = stream.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise TooLarge(f"The file is larger than {MAX_UPLOAD_BYTES:,} bytes")
    return content


def _check_parses(payload: Payload) -> None:
    """Refuse, as a 422 problem with the parser's reason, a file it cannot read at all."""
    from ingest.sources.base import ParseError
    from ingest.sources.csv_upload import SOURCE
    from ingest.store import parse_payload

    try:
        parse_payload(SOURCE, payload)
    except ParseError as exc:
        raise InvalidInput(str(exc)) from None


def run_upload(ctx: AppContext, *, content: bytes, filename: str | None) -> UploadRead:
    """Ingest the file as one csv_upload run, the path ``tocsin ingest run --file`` takes.

    A file the parser refuses as a whole is a 422 problem and starts no run; bad lines of a
    readable file are quarantined by the run. The run commits on its own, like the command
    line. Blocking: call it from a worker thread.
    """
    from ingest.jobs import run_ingest  # the ingest stack loads only when an upload comes
    from ingest.sources.base import Payload

    payload = Payload(content=content, url=f"upload:{filename or 'file'}", filename=filename)
    _check_parses(payload)
    result = run_ingest(ctx, SOURCE_ID, trigger=TRIGGER, payload=payload)
    if not result.ok:
        raise ServiceUnavailable(f"the upload's ingest run {result.run_id} failed: {result.error}")
    return UploadRead(
        run_id=result.run_id, status=result.status, filename=filename,
        counts=RunCounts(read=result.read, inserted=result.inserted, revised=result.revised,
                         unchanged=result.unchanged, quarantined=result.quarantined,
                         dropped=result.dropped),
        replay_of=result.replay_of, seconds=round(result.seconds, 3),
    )  # fmt: skip


def record_upload(session: Session, *, actor: User, upload: UploadRead) -> None:
    """Leave the upload's audit entry: who sent which file and what the run did."""
    audit.record(
        session=session, actor=actor, action="upload.csv", entity="ingest_run",
        entity_id=upload.run_id, after=upload.model_dump(mode="json"),
    )  # fmt: skip
