"""Upload route: an analyst's own indicator as a CSV file made from the template."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, UploadFile

from backend.access import ANALYST_RESPONSES, problem_doc
from backend.auth import AnalystDep
from backend.context import AppContext
from backend.deps import SessionDep, get_context
from backend.errors import PROBLEM_RESPONSES
from backend.uploads import service
from backend.uploads.schemas import UploadRead

router = APIRouter(prefix="/uploads", tags=["uploads"], responses=PROBLEM_RESPONSES)
UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = ANALYST_RESPONSES | {
    413: problem_doc(f"The file is over {service.MAX_UPLOAD_BYTES:,} bytes"),
    422: problem_doc("The parser refused the file; `detail` says why"),
    503: problem_doc("The ingest run failed (e.g. the database was busy); retry"),
}
FILE_HELP = (
    "UTF-8 CSV with a header naming region, indicator, period, value (unit and note "
    "optional); see docs/csv-upload-template.md"
)


@router.post("", summary="Upload an indicator as CSV", status_code=201, responses=UPLOAD_RESPONSES)
def upload_csv(
    session: SessionDep,
    context: Annotated[AppContext, Depends(get_context)],
    principal: AnalystDep,
    file: Annotated[UploadFile, File(description=FILE_HELP)],
) -> UploadRead:
    """Load a CSV of your own values through the csv_upload ingest (analyst).

    Lines that cannot be used are quarantined with their reason and counted; the others
    load. A new lower_snake_case indicator code is created with the file's unit. A file
    the parser refuses as a whole (no header, wrong separator...) is a 422 problem and
    starts no run. A plain
    `def`: the ingest runs in a worker thread, off the event loop.
    """
    content = service.read_limited(file.file)
    # Free SQLite's single writer (the sign-in bookkeeping) for the ingest run's commits.
    session.commit()
    upload = service.run_upload(context, content=content, filename=file.filename)
    service.record_upload(session, actor=principal.user, upload=upload)
    return upload
