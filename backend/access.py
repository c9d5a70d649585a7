"""Who may call what, in one place: the read gate, and the documented auth problems.

Reads are open for now (the dashboard calls them without a token); a token that is sent
must still be valid. To close every read behind a role at once, set ``READ_ACCESS`` to
``[RequireViewer]`` from ``backend.auth``; routers and routes that list it follow.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends

from backend.auth import get_optional_principal
from backend.errors import Problem

READ_ACCESS = [Depends(get_optional_principal)]


def problem_doc(description: str) -> dict[str, Any]:
    """Return an OpenAPI ``responses`` entry for a problem details answer."""
    return {"model": Problem, "description": f"{description} (application/problem+json)"}


ANALYST_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: problem_doc("No token, or an invalid, expired or revoked one"),
    403: problem_doc("The token's role is below analyst"),
}
