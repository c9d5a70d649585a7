"""Rule packs shipped with Tocsin: YAML rule files found by name."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def available_packs() -> list[str]:
    """Return the names of the bundled rule packs."""
    return sorted(path.stem for path in _HERE.glob("*.yaml"))


def pack_path(name: str) -> Path:
    """Return the path of the bundled rule pack called name."""
    path = _HERE / f"{name}.yaml"
    # Only bare names: a pack name must never reach outside this directory.
    if not name.replace("-", "_").isidentifier() or not path.is_file():
        known = ", ".join(available_packs()) or "none"
        raise ValueError(f"unknown rule pack {name!r}; available: {known}")
    return path
