"""Canonical JSON and sha256: the same content always gives the same bytes and hash."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> bytes:
    """Serialise to sorted, compact, UTF-8 JSON."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_bytes(data: bytes) -> str:
    """Return the hex sha256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def sha256_json(value: Any) -> str:
    """Return the hex sha256 of a value's canonical JSON."""
    return sha256_bytes(canonical_json(value))


def sha256_text(text: str) -> str:
    """Return the hex sha256 of a text's UTF-8 bytes."""
    return sha256_bytes(text.encode())
