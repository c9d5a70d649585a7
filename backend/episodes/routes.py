"""Reference episode routes: list them (readers), add, change, remove and import (analysts)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Query, Request, Response, UploadFile

from backend.access import ANALYST_RESPONSES, READ_ACCESS, problem_doc
from backend.auth import AnalystDep
from backend.csvlist import CSV_RESPONSES, paged_csv, wants_csv
from backend.deps import SessionDep
from backend.episodes import service
from backend.episodes.schemas import (
    EpisodeCreate,
    EpisodeImported,
    EpisodePage,
    EpisodeQuery,
    EpisodeRead,
    EpisodeUpdate,
)
from backend.errors import NOT_FOUND_RESPONSE, PROBLEM_RESPONSES, InvalidInput

MAX_UPLOAD_BYTES = 2_000_000
UPLOAD_HELP = (
    "CSV with columns region, onset_period, label and optionally theme, note "
    "(see docs/reference-episodes-example.csv)"
)
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = ANALYST_RESPONSES | {
    422: problem_doc("Invalid fields, or a region no alias names"),
}
router = APIRouter(prefix="/episodes", tags=["episodes"], responses=PROBLEM_RESPONSES)
EpisodeId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Episode id", examples=[7])]


@router.get(
    "", summary="List reference episodes", response_model=EpisodePage, responses=CSV_RESPONSES,
    dependencies=READ_ACCESS,
)  # fmt: skip
def list_episodes(
    request: Request, session: SessionDep, query: Annotated[EpisodeQuery, Query()]
) -> EpisodePage | Response:
    """List the known deteriorations rules are scored against, by region then onset.

    `region` keeps one region's episodes (by code); `theme` one crime theme's.
    """
    if wants_csv(request, query.format):
        fetch = partial(service.list_episodes, session=session)
        return paged_csv("episodes", EpisodeRead, query, fetch)
    return service.list_episodes(session=session, query=query)


@router.get(
    "/{episode_id}", summary="Get a reference episode", responses=NOT_FOUND_RESPONSE,
    dependencies=READ_ACCESS,
)  # fmt: skip
def get_episode(session: SessionDep, episode_id: EpisodeId) -> EpisodeRead:
    """Return one episode."""
    return service.get_episode(session=session, episode_id=episode_id)


@router.post("", summary="Add a reference episode", status_code=201, responses=WRITE_RESPONSES)
def create_episode(session: SessionDep, principal: AnalystDep, body: EpisodeCreate) -> EpisodeRead:
    """Add a known deterioration (analyst); the region may be any name the alias table knows."""
    return service.create_episode(session=session, data=body, actor=principal.user)


@router.put(
    "/{episode_id}", summary="Replace a reference episode",
    responses=WRITE_RESPONSES | NOT_FOUND_RESPONSE,
)  # fmt: skip
def replace_episode(
    session: SessionDep, principal: AnalystDep, episode_id: EpisodeId, body: EpisodeCreate
) -> EpisodeRead:
    """Replace every field of an episode (analyst); theme and note left out become empty."""
    return service.update_episode(
        session=session, episode_id=episode_id, changes=body, actor=principal.user
    )


@router.patch(
    "/{episode_id}", summary="Change a reference episode",
    responses=WRITE_RESPONSES | NOT_FOUND_RESPONSE,
)  # fmt: skip
def update_episode(
    session: SessionDep, principal: AnalystDep, episode_id: EpisodeId, body: EpisodeUpdate
) -> EpisodeRead:
    """Change the fields given (analyst); send `null` to clear theme or note."""
    return service.update_episode(
        session=session, episode_id=episode_id, changes=body, actor=principal.user
    )


@router.delete(
    "/{episode_id}", summary="Remove a reference episode", status_code=204,
    responses=ANALYST_RESPONSES | NOT_FOUND_RESPONSE,
)  # fmt: skip
def delete_episode(session: SessionDep, principal: AnalystDep, episode_id: EpisodeId) -> None:
    """Remove an episode (analyst)."""
    service.delete_episode(session=session, episode_id=episode_id, actor=principal.user)


def _text(upload: UploadFile) -> str:
    """Return an upload as text, refusing files too big or not UTF-8."""
    content = upload.file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise InvalidInput(f"The file is larger than {MAX_UPLOAD_BYTES} bytes")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("The file is not UTF-8 text") from None


@router.post(
    "/import", summary="Import reference episodes from CSV", status_code=201,
    responses=ANALYST_RESPONSES | {
        422: problem_doc("Bad lines: `errors` lists each with its `line`; nothing imported"),
    },
)  # fmt: skip
def import_episodes(
    session: SessionDep,
    principal: AnalystDep,
    file: Annotated[UploadFile, File(description=UPLOAD_HELP)],
) -> EpisodeImported:
    """Add every episode of a CSV file, or none (analyst).

    Any bad line refuses the whole file: the 422 problem's `errors` give each bad line's
    number (`line`, the header being line 1), column and what is wrong.
    """
    text = _text(file)
    items = service.import_csv(session=session, text=text, actor=principal.user)
    return EpisodeImported(imported=len(items), items=items)
