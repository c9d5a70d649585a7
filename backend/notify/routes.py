"""Notification routes: subscriptions and silences (analysts), the delivery log (readers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from backend.access import ANALYST_RESPONSES, READ_ACCESS
from backend.auth import AnalystDep
from backend.deps import SessionDep
from backend.errors import NOT_FOUND_RESPONSE, PROBLEM_RESPONSES
from backend.notify import service
from backend.notify.schemas import (
    DeliveryPage,
    DeliveryStatus,
    SilenceCreate,
    SilencePage,
    SilenceRead,
    SilenceUpdate,
    SubscriptionCreate,
    SubscriptionPage,
    SubscriptionRead,
    SubscriptionUpdate,
)
from backend.timeutil import utcnow

router = APIRouter(prefix="/notifications", tags=["notifications"], responses=PROBLEM_RESPONSES)
WRITE_RESPONSES = ANALYST_RESPONSES | NOT_FOUND_RESPONSE
SubscriptionId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Subscription id")]
SilenceId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Silence id")]


@router.get("/subscriptions", summary="List subscriptions", responses=ANALYST_RESPONSES)
def list_subscriptions(session: SessionDep, _principal: AnalystDep) -> SubscriptionPage:
    """List every subscription, webhook URLs masked (analyst)."""
    items = [service.subscription_read(s) for s in service.list_subscriptions(session=session)]
    return SubscriptionPage(items=items, total=len(items))


@router.post(
    "/subscriptions", summary="Create a subscription", status_code=201,
    responses=ANALYST_RESPONSES,
)  # fmt: skip
def create_subscription(
    session: SessionDep, principal: AnalystDep, body: SubscriptionCreate
) -> SubscriptionRead:
    """Subscribe a webhook or an e-mail address to alert changes (analyst)."""
    created = service.create_subscription(
        session=session, actor=principal.user, data=body, now=utcnow()
    )
    return service.subscription_read(created)


@router.get(
    "/subscriptions/{subscription_id}", summary="Read a subscription", responses=WRITE_RESPONSES
)
def read_subscription(
    session: SessionDep, _principal: AnalystDep, subscription_id: SubscriptionId
) -> SubscriptionRead:
    """Read one subscription, its webhook URL masked (analyst)."""
    found = service.get_subscription(session=session, subscription_id=subscription_id)
    return service.subscription_read(found)


@router.patch(
    "/subscriptions/{subscription_id}", summary="Change a subscription", responses=WRITE_RESPONSES
)
def update_subscription(
    session: SessionDep, principal: AnalystDep, subscription_id: SubscriptionId,
    body: SubscriptionUpdate,
) -> SubscriptionRead:  # fmt: skip
    """Change the fields given; the channel stays (analyst)."""
    changed = service.update_subscription(
        session=session, actor=principal.user, subscription_id=subscription_id, data=body,
        now=utcnow(),
    )  # fmt: skip
    return service.subscription_read(changed)


@router.delete(
    "/subscriptions/{subscription_id}", summary="Delete a subscription", status_code=204,
    responses=WRITE_RESPONSES,
)  # fmt: skip
def delete_subscription(
    session: SessionDep, principal: AnalystDep, subscription_id: SubscriptionId
) -> Response:
    """Delete a subscription; its delivery log stays (analyst)."""
    service.delete_subscription(
        session=session, actor=principal.user, subscription_id=subscription_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/silences", summary="List silences", dependencies=READ_ACCESS)
def list_silences(
    session: SessionDep,
    active: Annotated[bool, Query(description="Only the silences in force now")] = False,
) -> SilencePage:
    """List silences, newest first."""
    now = utcnow()
    found = service.list_silences(session=session, active_at=now if active else None)
    items = [service.silence_read(s, now) for s in found]
    return SilencePage(items=items, total=len(items))


@router.post("/silences", summary="Create a silence", status_code=201, responses=ANALYST_RESPONSES)
def create_silence(session: SessionDep, principal: AnalystDep, body: SilenceCreate) -> SilenceRead:
    """Mute matching alerts from now (or starts_at) until ends_at (analyst)."""
    now = utcnow()
    created = service.create_silence(session=session, actor=principal.user, data=body, now=now)
    return service.silence_read(created, now)


@router.patch("/silences/{silence_id}", summary="Change a silence", responses=WRITE_RESPONSES)
def update_silence(
    session: SessionDep, principal: AnalystDep, silence_id: SilenceId, body: SilenceUpdate
) -> SilenceRead:
    """Move a silence's end or change its comment (analyst)."""
    now = utcnow()
    changed = service.update_silence(
        session=session, actor=principal.user, silence_id=silence_id, data=body, now=now
    )
    return service.silence_read(changed, now)


@router.post("/silences/{silence_id}/expire", summary="Expire a silence", responses=WRITE_RESPONSES)
def expire_silence(
    session: SessionDep, principal: AnalystDep, silence_id: SilenceId
) -> SilenceRead:
    """End a silence now; it stays listed for the record (analyst)."""
    now = utcnow()
    expired = service.expire_silence(
        session=session, actor=principal.user, silence_id=silence_id, now=now
    )
    return service.silence_read(expired, now)


@router.get("/deliveries", summary="List deliveries", dependencies=READ_ACCESS)
def list_deliveries(
    session: SessionDep,
    status_: Annotated[
        DeliveryStatus | None, Query(alias="status", description="Only this status")
    ] = None,
    subscription_id: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="Only this subscription")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size")] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1, description="Rows to skip")] = 0,
) -> DeliveryPage:
    """List routed alert changes and what became of them, newest first."""
    found, total = service.list_deliveries(
        session=session, status=status_, subscription_id=subscription_id, limit=limit,
        offset=offset,
    )  # fmt: skip
    return DeliveryPage(items=[service.delivery_read(d) for d in found], total=total)
