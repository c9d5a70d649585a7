"""User, token and login schemas: requests forbid unknown fields, responses carry no secrets."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from backend.alerts.schemas import UtcDateTime
from backend.listing import Listing
from backend.users.security import MAX_PASSWORD, MIN_PASSWORD

RoleName = Literal["viewer", "analyst", "admin"]
Username = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, pattern=r"^[a-z0-9][a-z0-9_.\-]{1,63}$"
    ),
]
Password = Annotated[str, StringConstraints(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD)]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")
]
TokenName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginRequest(_Request):
    """Credentials for a session token."""

    username: Annotated[str, StringConstraints(max_length=64)] = Field(
        description="Username (case-insensitive)", examples=["analyst1"]
    )
    password: Annotated[str, StringConstraints(max_length=MAX_PASSWORD)] = Field(
        description="Password", examples=["correct horse battery staple"]
    )


class UserCreate(_Request):
    """A new user."""

    username: Username = Field(
        description="Lower-case letters, digits, '_', '.', '-'; 2 to 64 characters",
        examples=["analyst1"],
    )
    password: Password = Field(
        description=f"At least {MIN_PASSWORD} characters", examples=["correct horse battery staple"]
    )
    role: RoleName = Field("viewer", description="viewer, analyst or admin", examples=["analyst"])
    email: Email | None = Field(None, description="Contact address", examples=["a1@example.org"])


class UserUpdate(_Request):
    """A change of role or of the active flag; omitted fields stay as they are."""

    role: RoleName | None = Field(None, description="New role", examples=["viewer"])
    is_active: bool | None = Field(
        None, description="False disables sign-in and every token", examples=[False]
    )


class UserRead(BaseModel):
    """A user, without the password hash."""

    id: int = Field(description="User id", examples=[3])
    username: str = Field(description="Username", examples=["analyst1"])
    email: str | None = Field(description="Contact address", examples=["a1@example.org"])
    role: str = Field(description="viewer, analyst or admin", examples=["analyst"])
    is_active: bool = Field(description="Whether the user may sign in", examples=[True])
    created_at: UtcDateTime = Field(description="When (UTC)", examples=["2024-07-01T09:30:00Z"])


class UserPage(Listing[UserRead]):
    """Every user, by username."""


class TokenCreate(_Request):
    """A new API token for scripts and integrations."""

    name: TokenName = Field(description="What the token is for", examples=["nightly export"])
    role: RoleName | None = Field(
        None, description="Role of the token; at most the user's (default: the user's)"
    )
    expires_in_days: int | None = Field(
        None, ge=1, le=3650, description="Days until it expires; omitted: never", examples=[90]
    )


class TokenRead(BaseModel):
    """An API or session token, without its secret."""

    id: int = Field(description="Token id", examples=[12])
    user_id: int = Field(description="Owner", examples=[3])
    name: str = Field(description="What it is for; 'session' for logins", examples=["session"])
    role: str = Field(description="Role the token carries", examples=["viewer"])
    created_at: UtcDateTime = Field(description="When (UTC)", examples=["2024-07-01T09:30:00Z"])
    last_used_at: UtcDateTime | None = Field(
        description="Last use, to the minute (UTC)", examples=["2024-07-02T10:00:00Z"]
    )
    expires_at: UtcDateTime | None = Field(
        description="Expiry (UTC); null: never", examples=["2024-07-01T21:30:00Z"]
    )
    revoked_at: UtcDateTime | None = Field(description="Revocation (UTC)", examples=[None])


class TokenIssued(TokenRead):
    """A new token with its secret: shown this once, stored only as a digest."""

    token: str = Field(
        description="The bearer token; send it as `Authorization: Bearer <token>`",
        examples=["tocsin_3q2+7w..."],
    )
    token_type: Literal["bearer"] = Field("bearer", description="Always 'bearer'")


class TokenPage(Listing[TokenRead]):
    """A user's tokens, newest first."""


class MeRead(BaseModel):
    """Who the caller is, and with which token and role."""

    user: UserRead = Field(description="The signed-in user")
    role: str = Field(
        description="Effective role: the lower of the user's and the token's", examples=["viewer"]
    )
    token: TokenRead = Field(description="The token this request used")
