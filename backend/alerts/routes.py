"""Alert routes: the inbox, one alert with its history, and triage by people (analysts)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from backend.access import ANALYST_RESPONSES, READ_ACCESS, problem_doc
from backend.alerts import queries, triage
from backend.alerts.schemas import (
    AlertDetailRead,
    AlertHistory,
    AlertHistoryItem,
    AlertPage,
    AlertQuery,
    AlertRead,
    AssignRequest,
    BulkItemRead,
    BulkRead,
    BulkRequest,
    CommentCreate,
    LabelCreate,
    TriageRequest,
)
from backend.auth import AnalystDep
from backend.cache import ResponseCacheDep, query_key
from backend.csvlist import CSV_RESPONSES, paged_csv, wants_csv
from backend.deps import SessionDep
from backend.errors import NOT_FOUND_RESPONSE, PROBLEM_RESPONSES, InvalidInput

WRITE_RESPONSES: dict[int | str, dict[str, Any]] = ANALYST_RESPONSES | NOT_FOUND_RESPONSE
CONFLICT_RESPONSE: dict[int | str, dict[str, Any]] = {
    409: problem_doc("The alert's triage status does not allow this action now")
}
router = APIRouter(prefix="/alerts", tags=["alerts"], responses=PROBLEM_RESPONSES)

# PostgreSQL's INTEGER: a larger id could never exist and would fail in the driver.
MAX_ID = 2**31 - 1
AlertId = Annotated[int, Path(ge=1, le=MAX_ID, description="Alert id", examples=[412])]


@router.get(
    "", summary="List alerts", response_model=AlertPage, responses=CSV_RESPONSES,
    dependencies=READ_ACCESS,
)  # fmt: skip
def list_alerts(
    request: Request,
    session: SessionDep,
    cache: ResponseCacheDep,
    query: Annotated[AlertQuery, Query()],
) -> AlertPage | Response:
    """List alerts, newest first by default, with the region's name and the total that matched.

    Repeat a filter to match any of several values (`state=firing&state=pending`).
    `within` keeps regions inside an M49 unit; `period_from`/`period_to` bound the data
    period. `sort` is one of the listed keys, `-` for descending; an unknown key is a 422
    problem.
    """
    if wants_csv(request, query.format):
        return paged_csv("alerts", AlertRead, query, partial(queries.list_alerts, session))
    return cache.json_response(
        session=session, key=query_key("alerts", query),
        build=partial(queries.list_alerts, session, query=query),
    )  # fmt: skip


@router.get(
    "/{alert_id}",
    summary="Get one alert",
    responses=NOT_FOUND_RESPONSE,
    dependencies=READ_ACCESS,
)
def get_alert(
    session: SessionDep,
    alert_id: AlertId,
) -> AlertDetailRead:
    """Return one alert with its rule details, labels, transitions, comments and feedback."""
    return queries.get_alert(session, alert_id=alert_id)


@router.get(
    "/{alert_id}/history",
    summary="An alert's timeline",
    responses=NOT_FOUND_RESPONSE,
    dependencies=READ_ACCESS,
)
def alert_history(session: SessionDep, alert_id: AlertId) -> AlertHistory:
    """Return the alert's state and triage transitions, comments and labels, oldest first."""
    items = triage.history(session=session, alert_id=alert_id)
    return AlertHistory(
        alert_id=alert_id, items=[AlertHistoryItem.model_validate(i) for i in items]
    )


def _triage_route(action: str, summary: str, doc: str) -> None:
    """Register POST /alerts/{alert_id}/<action> for one triage status change."""

    def change(
        session: SessionDep, principal: AnalystDep, alert_id: AlertId, body: TriageRequest
    ) -> AlertDetailRead:
        triage.change_triage(
            session=session, alert_id=alert_id, action=action, actor=principal.user,
            note=body.note,
        )  # fmt: skip
        return queries.get_alert(session, alert_id=alert_id)

    change.__doc__ = doc
    change.__name__ = f"{action}_alert"
    router.post(
        f"/{{alert_id}}/{action}",
        summary=summary,
        responses=WRITE_RESPONSES | CONFLICT_RESPONSE,
    )(change)


_triage_route(
    "acknowledge",
    "Acknowledge an alert",
    "Mark a new alert acknowledged (analyst). 409 unless its triage status is new.",
)
_triage_route(
    "escalate",
    "Escalate an alert",
    "Escalate a new or acknowledged alert (analyst). 409 when escalated or dismissed.",
)
_triage_route(
    "dismiss",
    "Dismiss an alert",
    "Dismiss an alert, e.g. as a false alarm (analyst). 409 when already dismissed.",
)


@router.post(
    "/{alert_id}/assign",
    summary="Assign an alert",
    responses=WRITE_RESPONSES | CONFLICT_RESPONSE,
)
def assign_alert(
    session: SessionDep, principal: AnalystDep, alert_id: AlertId, body: AssignRequest
) -> AlertDetailRead:
    """Assign the alert to an active user, or unassign it with `null` (analyst).

    An unknown or inactive assignee is a 422 problem; a dismissed alert, or the same
    assignee again, is a 409.
    """
    triage.assign(
        session=session, alert_id=alert_id, assignee=body.assignee, actor=principal.user,
        note=body.note,
    )  # fmt: skip
    return queries.get_alert(session, alert_id=alert_id)


@router.post(
    "/{alert_id}/comments", summary="Comment on an alert", status_code=201,
    responses=WRITE_RESPONSES,
)  # fmt: skip
def comment_alert(
    session: SessionDep, principal: AnalystDep, alert_id: AlertId, body: CommentCreate
) -> AlertDetailRead:
    """Add a comment to the alert (analyst); returns the alert with its comments."""
    triage.comment(session=session, alert_id=alert_id, body=body.body, actor=principal.user)
    return queries.get_alert(session, alert_id=alert_id)


@router.post(
    "/{alert_id}/label", summary="Label an alert", status_code=201,
    responses=WRITE_RESPONSES | CONFLICT_RESPONSE,
)  # fmt: skip
def label_alert(
    session: SessionDep, principal: AnalystDep, alert_id: AlertId, body: LabelCreate
) -> AlertDetailRead:
    """Give the alert a feedback label for the rule scorecards (analyst).

    useful, false_alarm, already_known or too_late; the same person giving the same label
    twice is a 409.
    """
    triage.label(session=session, alert_id=alert_id, value=body.label, actor=principal.user)
    return queries.get_alert(session, alert_id=alert_id)


@router.post(
    "/bulk",
    summary="Apply one action to many alerts",
    responses=ANALYST_RESPONSES,
)
def bulk_alerts(session: SessionDep, principal: AnalystDep, body: BulkRequest) -> BulkRead:
    """Acknowledge, escalate, dismiss, assign or label several alerts at once (analyst).

    Each alert is done or refused on its own: the answer lists, per id, 200, 404 (no such
    alert) or 409 (its status does not allow it). `label` needs `label`; `assign` takes
    `assignee` (null unassigns).
    """
    if body.action == "label" and body.label is None:
        raise InvalidInput("The label action needs a label")
    ids = list(dict.fromkeys(body.ids))
    outcomes = triage.apply_bulk(
        session=session, alert_ids=ids, action=body.action, actor=principal.user,
        note=body.note, assignee=body.assignee, label_value=body.label,
    )  # fmt: skip
    items = [BulkItemRead(id=o.alert_id, status=o.status, detail=o.detail) for o in outcomes]
    done = sum(1 for item in items if item.status == 200)
    return BulkRead(done=done, refused=len(items) - done, items=items)
