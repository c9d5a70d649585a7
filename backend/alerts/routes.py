"""Alert routes (read side): the inbox and one alert with its history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from backend.alerts import queries
from backend.alerts.schemas import AlertDetailRead, AlertPage, AlertQuery
from backend.deps import SessionDep
from backend.errors import NOT_FOUND_RESPONSE, PROBLEM_RESPONSES

router = APIRouter(prefix="/alerts", tags=["alerts"], responses=PROBLEM_RESPONSES)

# PostgreSQL's INTEGER: a larger id could never exist and would fail in the driver.
MAX_ID = 2**31 - 1


@router.get("", summary="List alerts")
def list_alerts(session: SessionDep, query: Annotated[AlertQuery, Query()]) -> AlertPage:
    """List alerts, newest first by default, with the region's name and the total that matched.

    Repeat a filter to match any of several values (`state=firing&state=pending`).
    `within` keeps regions inside an M49 unit; `period_from`/`period_to` bound the data
    period. `sort` is one of the listed keys, `-` for descending; an unknown key is a 422
    problem.
    """
    return queries.list_alerts(session, query=query)


@router.get("/{alert_id}", summary="Get one alert", responses=NOT_FOUND_RESPONSE)
def get_alert(
    session: SessionDep,
    alert_id: Annotated[int, Path(ge=1, le=MAX_ID, description="Alert id", examples=[412])],
) -> AlertDetailRead:
    """Return one alert with its rule details, labels, transitions, comments and feedback."""
    return queries.get_alert(session, alert_id=alert_id)
