"""Request bodies over their limit are refused with 413 problem details, read or not."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.testclient import TestClient

from backend.limits import JSON_LIMIT, UPLOAD_LIMIT, limit_for


def chunks(size: int, piece: int = 64_000) -> Iterator[bytes]:
    """Yield ``size`` bytes in pieces, as a chunked upload without Content-Length."""
    sent = 0
    while sent < size:
        part = min(piece, size - sent)
        sent += part
        yield b" " * part


def test_uploads_get_room_for_a_file_and_everything_else_a_small_body() -> None:
    assert limit_for("/api/v1/uploads") == UPLOAD_LIMIT
    assert limit_for("/api/v1/rules/validate") == JSON_LIMIT < UPLOAD_LIMIT


def test_a_declared_body_over_the_limit_is_refused_before_it_is_read(client: TestClient) -> None:
    answer = client.post(
        "/api/v1/rules/validate", content=b"{" + b" " * JSON_LIMIT + b"}",
        headers={"content-type": "application/json"},
    )  # fmt: skip
    assert answer.status_code == 413
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["detail"] == f"The request body is larger than {JSON_LIMIT:,} bytes"
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_a_chunked_body_is_counted_as_it_arrives(client: TestClient) -> None:
    answer = client.post(
        "/api/v1/rules/validate", content=chunks(JSON_LIMIT + 100_000),
        headers={"content-type": "application/json"},
    )  # fmt: skip
    assert answer.status_code == 413
    assert answer.json()["title"] == "Content too large"


def test_a_body_within_the_limit_goes_through(client: TestClient) -> None:
    answer = client.post("/api/v1/rules/validate", json={"yaml": "groups: []\n"})
    assert answer.status_code not in (413, 500)
