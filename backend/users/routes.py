"""Sign-in, the caller, and the admin endpoints for users and their tokens."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response, status

from backend.auth import AdminDep, LoginThrottleDep, PrincipalDep, require_self_or_admin
from backend.deps import SessionDep
from backend.errors import NOT_FOUND_RESPONSE, PROBLEM_RESPONSES, Problem, Unauthorized
from backend.timeutil import utcnow
from backend.users import service
from backend.users.models import ApiToken
from backend.users.schemas import (
    LoginRequest,
    MeRead,
    TokenCreate,
    TokenIssued,
    TokenPage,
    TokenRead,
    UserCreate,
    UserPage,
    UserRead,
    UserUpdate,
)

log = logging.getLogger(__name__)

# PostgreSQL's INTEGER: a larger id could never exist and would fail in the driver.
MAX_ID = 2**31 - 1


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": f"{description} (application/problem+json)"}


AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    401: _problem("No token, or an invalid, expired or revoked one"),
    403: _problem("The token's role is too low"),
}
router = APIRouter(responses=AUTH_RESPONSES)
UserId = Annotated[int, Path(ge=1, le=MAX_ID, description="User id", examples=[3])]
TokenId = Annotated[int, Path(ge=1, le=MAX_ID, description="Token id", examples=[12])]


def _issued(token: ApiToken, secret: str) -> TokenIssued:
    return TokenIssued(
        **TokenRead.model_validate(token, from_attributes=True).model_dump(), token=secret
    )


@router.post(
    "/auth/login",
    tags=["auth"],
    summary="Sign in",
    responses={429: _problem("Too many failed sign-ins; retry_after says how long to wait")},
)
def login(
    session: SessionDep, body: LoginRequest, request: Request, throttle: LoginThrottleDep
) -> TokenIssued:
    """Exchange a username and password for a session token (valid 12 hours).

    Send it as `Authorization: Bearer <token>`. Five failed attempts for one username
    from one address within five minutes answer 429 until the window passes.
    """
    ip = request.client.host if request.client else "unknown"
    throttle.check(body.username, ip)
    try:
        token, secret = service.login(
            session=session, username=body.username, password=body.password
        )
    except Unauthorized:
        throttle.failed(body.username, ip)
        log.warning("failed sign-in for %r from %s", body.username[:64], ip)
        raise
    throttle.succeeded(body.username, ip)
    return _issued(token, secret)


@router.post("/auth/logout", tags=["auth"], summary="Sign out", status_code=204)
def logout(session: SessionDep, principal: PrincipalDep) -> Response:
    """Revoke the token this request carries (a session token, or an API token)."""
    service.revoke_token(
        session=session, actor=principal.user, token=principal.token, action="auth.logout"
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/auth/me", tags=["auth"], summary="Who am I")
def me(principal: PrincipalDep) -> MeRead:
    """Return the signed-in user, the token used and the effective role."""
    return MeRead.model_validate(
        {"user": principal.user, "role": principal.role, "token": principal.token},
        from_attributes=True,
    )


@router.get("/users", tags=["users"], summary="List users")
def list_users(session: SessionDep, _admin: AdminDep) -> UserPage:
    """List every user by username (admin)."""
    users = service.list_users(session=session)
    return UserPage(
        items=[UserRead.model_validate(u, from_attributes=True) for u in users], total=len(users)
    )


@router.post(
    "/users",
    tags=["users"],
    summary="Create a user",
    status_code=201,
    responses={409: _problem("The username is taken")},
)
def create_user(session: SessionDep, admin: AdminDep, body: UserCreate) -> UserRead:
    """Create a user with a role (admin); the password is stored only as an argon2id hash."""
    user = service.create_user(
        session=session,
        actor=admin.user,
        username=body.username,
        password=body.password,
        role=body.role,
        email=body.email,
    )
    return UserRead.model_validate(user, from_attributes=True)


@router.patch(
    "/users/{user_id}",
    tags=["users"],
    summary="Change a user's role or active flag",
    responses={**NOT_FOUND_RESPONSE, 409: _problem("It would leave no active admin")},
)
def update_user(
    session: SessionDep, admin: AdminDep, user_id: UserId, body: UserUpdate
) -> UserRead:
    """Change a user's role or disable them (admin); a disabled user's tokens stop working."""
    user = service.get_user(session=session, user_id=user_id)
    service.update_user(
        session=session, actor=admin.user, user=user, role=body.role, is_active=body.is_active
    )
    return UserRead.model_validate(user, from_attributes=True)


@router.get(
    "/users/{user_id}/tokens", tags=["users"], summary="List tokens", responses=NOT_FOUND_RESPONSE
)
def list_tokens(
    session: SessionDep,
    principal: PrincipalDep,
    user_id: UserId,
    include_inactive: Annotated[
        bool, Query(description="Also list revoked and expired tokens")
    ] = False,
) -> TokenPage:
    """List a user's tokens without their secrets (admin, or the user themself)."""
    require_self_or_admin(principal, user_id)
    service.get_user(session=session, user_id=user_id)
    tokens = service.list_tokens(
        session=session, user_id=user_id, include_inactive=include_inactive
    )
    items = [TokenRead.model_validate(t, from_attributes=True) for t in tokens]
    return TokenPage(items=items, total=len(items))


@router.post(
    "/users/{user_id}/tokens",
    tags=["users"],
    summary="Create an API token",
    status_code=201,
    responses=NOT_FOUND_RESPONSE,
)
def create_token(
    session: SessionDep, principal: PrincipalDep, user_id: UserId, body: TokenCreate
) -> TokenIssued:
    """Create an API token (admin, or the user themself); the secret is shown only here.

    The token's role defaults to the user's and may not exceed it, nor the role of the
    token making the request.
    """
    require_self_or_admin(principal, user_id)
    user = service.get_user(session=session, user_id=user_id)
    expires_at = utcnow() + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    token, secret = service.issue_token(
        session=session,
        actor=principal.user,
        user=user,
        name=body.name,
        role=body.role,
        ceiling=principal.role,
        expires_at=expires_at,
    )
    return _issued(token, secret)


@router.delete(
    "/tokens/{token_id}",
    tags=["users"],
    summary="Revoke a token",
    status_code=204,
    responses=NOT_FOUND_RESPONSE,
)
def revoke_token(session: SessionDep, principal: PrincipalDep, token_id: TokenId) -> Response:
    """Revoke a token (admin, or its owner); revoking it again is harmless."""
    token = service.get_token(session=session, token_id=token_id)
    require_self_or_admin(principal, token.user_id)
    service.revoke_token(session=session, actor=principal.user, token=token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
