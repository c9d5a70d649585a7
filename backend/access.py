"""Who may call what, in one place: the read gate, and the documented auth problems.

Every read needs a signed-in viewer (or a higher role): ``READ_ACCESS`` is listed by the
routers and routes that read, and added in ``backend.app`` to the routers whose routes do
not list it. Only health and readiness stay open, for load balancers and monitoring.
"""

from __future__ import annotations

from typing import Any

from backend.auth import RequireViewer
from backend.errors import Problem

READ_ACCESS = [RequireViewer]


def problem_doc(description: str) -> dict[str, Any]:
    """Return an OpenAPI ``responses`` entry for a problem details answer."""
    return {"model": Problem, "description": f"{description} (application/problem+json)"}


ANALYST_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: problem_doc("No token, or an invalid, expired or revoked one"),
    403: problem_doc("The token's role is below analyst"),
}
