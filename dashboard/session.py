"""Who is signed in to the dashboard, read from the Flask session.

Signing in (the login page) stores the user's API token under
``api_client.TOKEN_SESSION_KEY`` and ``{"username": ..., "role": ...}`` under
``USER_SESSION_KEY``. Pages ask ``has_role("analyst")`` to hide or disable what the user may
not do; the API checks every call again, so this is about clarity, not security.
"""

from __future__ import annotations

from typing import TypedDict

import flask

USER_SESSION_KEY = "tocsin_user"
ROLE_RANK = {"viewer": 1, "analyst": 2, "admin": 3}


class User(TypedDict):
    username: str
    role: str


def current_user() -> User | None:
    """Return the signed-in user, or None outside a request or when nobody is signed in."""
    if not flask.has_request_context():
        return None
    user = flask.session.get(USER_SESSION_KEY)
    if not isinstance(user, dict) or user.get("role") not in ROLE_RANK:
        return None
    return User(username=str(user.get("username", "")), role=str(user["role"]))


def has_role(role: str) -> bool:
    """Return whether the signed-in user holds ``role`` or a higher one."""
    user = current_user()
    return user is not None and ROLE_RANK[user["role"]] >= ROLE_RANK[role]
