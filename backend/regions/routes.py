"""Region routes: the reference geography the heat map and filters are built on."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from backend.cache import ResponseCacheDep, query_key
from backend.csvlist import CSV_RESPONSES, csv_response, wants_csv
from backend.deps import SessionDep
from backend.errors import NOT_FOUND_RESPONSE, PROBLEM_RESPONSES
from backend.regions import queries
from backend.regions.schemas import RegionCode, RegionFilter, RegionPage, RegionRead

router = APIRouter(prefix="/regions", tags=["regions"], responses=PROBLEM_RESPONSES)


@router.get("", summary="List regions", response_model=RegionPage, responses=CSV_RESPONSES)
def list_regions(
    request: Request,
    session: SessionDep,
    cache: ResponseCacheDep,
    filters: Annotated[RegionFilter, Query()],
) -> RegionPage | Response:
    """List countries, areas and M49 units, with codes and names of their M49 parents.

    Filter by `level` (e.g. `country`), by direct `parent`, or by an M49 unit the region
    lies `within` (e.g. `M49_002` for every country and sub-region of Africa).
    """
    if wants_csv(request, filters.format):
        return csv_response("regions", RegionRead, queries.list_regions(session, filters=filters))

    def build() -> RegionPage:
        items = queries.list_regions(session, filters=filters)
        return RegionPage(items=items, total=len(items))

    return cache.json_response(session=session, key=query_key("regions", filters), build=build)


@router.get("/{code}", summary="Get one region", responses=NOT_FOUND_RESPONSE)
def get_region(
    session: SessionDep,
    code: Annotated[
        RegionCode, Path(description="Region code (case-insensitive)", examples=["MEX"])
    ],
) -> RegionRead:
    """Return one region by its code (ISO3, `M49_nnn` or area code); 404 if unknown."""
    return queries.get_region(session, code=code)
