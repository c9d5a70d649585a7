"""Observation routes: the indicator catalogue, the heat map and one region's series."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from backend.cache import ResponseCacheDep, query_key
from backend.csvlist import CSV_RESPONSES, ListFormat, csv_response, wants_csv
from backend.deps import SessionDep
from backend.errors import NOT_FOUND_RESPONSE, PROBLEM_RESPONSES
from backend.observations import service
from backend.observations.schemas import (
    HeatmapQuery,
    HeatmapRead,
    IndicatorPage,
    IndicatorRead,
    ObservationRead,
    SeriesQuery,
    SeriesRead,
)

router = APIRouter(tags=["observations"], responses=PROBLEM_RESPONSES)


@router.get(
    "/indicators", summary="List indicators", response_model=IndicatorPage,
    responses=CSV_RESPONSES,
)  # fmt: skip
def list_indicators(
    request: Request,
    session: SessionDep,
    cache: ResponseCacheDep,
    fmt: Annotated[
        ListFormat, Query(alias="format", description="json, or csv as a download")
    ] = "json",
) -> IndicatorPage | Response:
    """List every indicator with its unit, frequency, direction and span of periods with data."""
    if wants_csv(request, fmt):
        return csv_response("indicators", IndicatorRead, service.list_indicators(session))

    def build() -> IndicatorPage:
        items = service.list_indicators(session)
        return IndicatorPage(items=items, total=len(items))

    return cache.json_response(session=session, key=query_key("indicators"), build=build)


@router.get(
    "/heatmap", summary="Heat map of one indicator", response_model=HeatmapRead,
    responses=NOT_FOUND_RESPONSE,
)  # fmt: skip
def heatmap(
    session: SessionDep, cache: ResponseCacheDep, query: Annotated[HeatmapQuery, Query()]
) -> Response:
    """Return one indicator's latest-vintage values for one period, per country or M49 unit.

    Without `period`, the latest period with data is shown; `periods` lists every period
    with data for the slider. `missing` names the units without a value so the map can
    draw them grey (no data is not low risk). At `subregion` or `region` level each unit
    gets the median of its countries' values with its coverage. Real data wins over demo
    data for the same country. Unknown indicator: 404 problem.
    """
    return cache.json_response(
        session=session, key=query_key("heatmap", query),
        build=lambda: service.heatmap(session, query=query),
    )  # fmt: skip


@router.get(
    "/observations", summary="One region's series", response_model=SeriesRead,
    responses=CSV_RESPONSES | NOT_FOUND_RESPONSE,
)  # fmt: skip
def observations(
    request: Request, session: SessionDep, query: Annotated[SeriesQuery, Query()]
) -> SeriesRead | Response:
    """Return one indicator's series for one region: latest vintage per period by default.

    With `vintages=true`, every vintage is listed (revisions included), ordered by period
    then vintage, each flagged `is_latest`. Unknown region or indicator: 404 problem.
    """
    series = service.series(session, query=query)
    if wants_csv(request, query.format):
        return csv_response(f"{series.region.code}-{series.indicator.code}", ObservationRead,
                            series.items)  # fmt: skip
    return series
