"""Domain exceptions and the one handler that turns errors into RFC 7807 problem details."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:tocsin:problem:"
# Connection lost, server down, pool exhausted, SQLite locked: retryable, so 503 not 500.
DATABASE_DOWN = (OperationalError, SQLAlchemyTimeoutError)


class DomainError(Exception):
    """Base of every error a service may raise for the caller to see."""

    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"
    slug: ClassVar[str] = "bad-request"

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}


class NotFound(DomainError):
    """A named thing (region, indicator, alert, ...) does not exist."""

    status, title, slug = 404, "Not found", "not-found"


class Conflict(DomainError):
    """The request clashes with the current state (duplicate, stale version, ...)."""

    status, title, slug = 409, "Conflict", "conflict"


class InvalidInput(DomainError):
    """The input is well-formed but not acceptable (unknown code, bad combination, ...)."""

    status, title, slug = 422, "Invalid input", "invalid-input"


class Unauthorized(DomainError):
    """The caller is not authenticated."""

    status, title, slug = 401, "Unauthorized", "unauthorized"


class Forbidden(DomainError):
    """The caller is authenticated but lacks the role for this action."""

    status, title, slug = 403, "Forbidden", "forbidden"


class TooLarge(DomainError):
    """The request body is over the size limit."""

    status, title, slug = 413, "Content too large", "content-too-large"


class ServiceUnavailable(DomainError):
    """A dependency the request needs (the database, a source) cannot be reached."""

    status, title, slug = 503, "Service unavailable", "service-unavailable"


class FieldError(BaseModel):
    """One invalid input field."""

    model_config = ConfigDict(extra="allow")

    loc: list[str | int] = Field(
        description="Where the bad value is: source then name", examples=[["query", "page_size"]]
    )
    msg: str = Field(
        description="What is wrong", examples=["Input should be less than or equal to 500"]
    )
    type: str = Field(description="Machine-readable error kind", examples=["less_than_equal"])


class Problem(BaseModel):
    """An RFC 7807 problem details body, served as application/problem+json."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(
        description="URI naming the problem kind", examples=["urn:tocsin:problem:not-found"]
    )
    title: str = Field(description="Short summary of the problem kind", examples=["Not found"])
    status: int = Field(description="HTTP status code", examples=[404])
    detail: str = Field(
        description="What went wrong this time", examples=["No indicator 'homicide_rte'"]
    )
    errors: list[FieldError] | None = Field(
        default=None, description="Per-field errors, present on 422 validation problems"
    )


def _described(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": f"{description} (application/problem+json)"}


# Spread into a router's or route's ``responses`` so /docs shows the problem shape.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: _described("Invalid query or path parameters"),
    500: _described("Unexpected server error; details are in the server log"),
    503: _described("The database is unavailable; retry later"),
}
NOT_FOUND_RESPONSE: dict[int | str, dict[str, Any]] = {404: _described("Not found")}


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str,
    errors: Sequence[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """Build a problem details response with the stable shape."""
    body: dict[str, Any] = {**(extra or {})}
    body.update(type=TYPE_PREFIX + slug, title=title, status=status, detail=detail)
    if errors is not None:
        body["errors"] = list(errors)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Keep only JSON-safe parts: pydantic's ``ctx`` and ``input`` may hold arbitrary objects.
    return [
        {
            "loc": [part if isinstance(part, int) else str(part) for part in err.get("loc", ())],
            "msg": str(err.get("msg", "")),
            "type": str(err.get("type", "")),
        }
        for err in exc.errors()
    ]


def _summary(errors: list[dict[str, Any]]) -> str:
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(part) for part in first["loc"])
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}" if where else f"{first['msg']}{more}"


def _problem_for(exc: Exception) -> JSONResponse:
    if isinstance(exc, DomainError):
        return problem_response(exc.status, exc.title, exc.detail, slug=exc.slug, extra=exc.extra)
    if isinstance(exc, RequestValidationError):
        errors = _field_errors(exc)
        return problem_response(
            422, "Invalid request", _summary(errors), slug="validation", errors=errors
        )
    if isinstance(exc, StarletteHTTPException):
        title = _http_title(exc.status_code)
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail else title
        slug = title.lower().replace(" ", "-")
        return problem_response(exc.status_code, title, detail, slug=slug, headers=exc.headers)
    if isinstance(exc, DATABASE_DOWN):
        return problem_response(
            503,
            ServiceUnavailable.title,
            "The database is unavailable; try again shortly.",
            slug="database-unavailable",
        )
    return problem_response(
        500,
        "Internal server error",
        "An unexpected error occurred; it has been logged.",
        slug="internal",
    )


async def handle_error(request: Request, exc: Exception) -> JSONResponse:
    """Turn any error into problem details, logging the ones that are not the caller's fault."""
    where = f"{request.method} {request.url.path}"
    if isinstance(exc, DATABASE_DOWN):
        log.error("database unavailable on %s", where, exc_info=exc)
    elif not isinstance(exc, DomainError | RequestValidationError | StarletteHTTPException):
        # Starlette re-raises crashes after this response so the server logs the traceback;
        # this line adds which request it was.
        log.error("unhandled %s on %s", exc.__class__.__name__, where)
    return _problem_for(exc)


def _http_title(status: int) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return "Error"
    return phrase[:1] + phrase[1:].lower()  # "Not Found" -> "Not found", like the domain titles


def install_error_handlers(app: FastAPI) -> None:
    """Map domain errors, validation errors, HTTP errors and crashes to problem details."""
    for kind in (DomainError, RequestValidationError, StarletteHTTPException, *DATABASE_DOWN):
        app.add_exception_handler(kind, handle_error)
    # Registered for Exception, Starlette answers from its outermost middleware, then re-raises.
    app.add_exception_handler(Exception, handle_error)
