"""Observation routes: the indicator catalogue, the heat map and one region's series."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend.deps import SessionDep
from backend.errors import NOT_FOUND_RESPONSE, PROBLEM_RESPONSES
from backend.observations import service
from backend.observations.schemas import (
    HeatmapQuery,
    HeatmapRead,
    IndicatorPage,
    SeriesQuery,
    SeriesRead,
)

router = APIRouter(tags=["observations"], responses=PROBLEM_RESPONSES)


@router.get("/indicators", summary="List indicators")
def list_indicators(session: SessionDep) -> IndicatorPage:
    """List every indicator with its unit, frequency, direction and span of periods with data."""
    items = service.list_indicators(session)
    return IndicatorPage(items=items, total=len(items))


@router.get("/heatmap", summary="Heat map of one indicator", responses=NOT_FOUND_RESPONSE)
def heatmap(session: SessionDep, query: Annotated[HeatmapQuery, Query()]) -> HeatmapRead:
    """Return one indicator's latest-vintage values for one period, per country or M49 unit.

    Without `period`, the latest period with data is shown; `periods` lists every period
    with data for the slider. `missing` names the units without a value so the map can
    draw them grey (no data is not low risk). At `subregion` or `region` level each unit
    gets the median of its countries' values with its coverage. Real data wins over demo
    data for the same country. Unknown indicator: 404 problem.
    """
    return service.heatmap(session, query=query)


@router.get("/observations", summary="One region's series", responses=NOT_FOUND_RESPONSE)
def observations(session: SessionDep, query: Annotated[SeriesQuery, Query()]) -> SeriesRead:
    """Return one indicator's series for one region: latest vintage per period by default.

    With `vintages=true`, every vintage is listed (revisions included), ordered by period
    then vintage, each flagged `is_latest`. Unknown region or indicator: 404 problem.
    """
    return service.series(session, query=query)
