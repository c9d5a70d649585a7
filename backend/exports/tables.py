"""The tables every tabular export shares, built from a snapshot manifest only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["text", "int", "float", "bool", "date", "datetime"]
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """One typed column: manifest key, header, kind and display width in characters."""

    key: str
    kind: Kind = "text"
    width: int = 14


@dataclass(frozen=True)
class Table:
    """A named table: typed columns and rows of raw values."""

    name: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]


def escape_formula(value: str) -> str:
    """Prefix text that a spreadsheet would run as a formula with a quote."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _c(spec: str) -> Column:
    """Parse ``key:kind:width`` (kind and width optional)."""
    key, _, rest = spec.partition(":")
    kind, _, width = rest.partition(":")
    return Column(key, (kind or "text"), int(width or 14))  # type: ignore[arg-type]


ALERTS = "id:int:7 rule::24 rule_version:int:8 region::8 region_name::22 indicator::16 period::8 severity::9 state::9 triage::12 raised:bool:7 resolved:bool:8 active:bool:7 detected_at:datetime:19 resolved_at:datetime:19 value:float:9 baseline:float:9 threshold:float:9 explanation::70"  # noqa: E501
SCORES = "indicator::16 region::8 region_name::24 period::8 value:float:9 previous_period::9 previous_value:float:9 change:float:9 change_pct:float:9 rank:int:6 vintage:date:11 source::20"  # noqa: E501
OBSERVATIONS = "indicator::16 region::8 region_name::24 period::8 value:float:9 vintage:date:11 retrieved_at:datetime:19 source::20 run_id:int:7 sha256::66"  # noqa: E501
SOURCES = "id::20 title::40 publisher::30 licence::20 url::50 cadence_days:int:8 observations:int:8 regions:int:8 latest_vintage:date:11 latest_period::9 last_run_id:int:8 retrieved_at:datetime:19 payload_sha256::66 payload_url::50 age_days:int:8 stale:bool:7"  # noqa: E501
RULES = "name::24 group::16 version:int:8 current:bool:8 author::14 reason::30 saved_at:datetime:19 sha256::66 definition::80"  # noqa: E501
DOCUMENTS = "date:date:11 symbol::18 kind::12 title::70 url::40 regions::20 themes::20"
CHANGES = "change::10 rule::24 region::8 region_name::22 period::8 severity::9"
SPECS = {
    "alerts": ALERTS, "scores": SCORES, "movers": SCORES, "observations": OBSERVATIONS,
    "sources": SOURCES, "rules": RULES, "documents": DOCUMENTS, "changes": CHANGES,
}  # fmt: skip


def _cell(row: Mapping[str, Any], key: str) -> Any:
    value = row.get(key)
    return ", ".join(value) if isinstance(value, list) else value


def _changes(manifest: Mapping[str, Any]) -> list[dict[str, Any]]:
    changes = manifest.get("changes", {})
    return [
        {**a, "change": kind}
        for kind in ("new", "escalated", "resolved")
        for a in changes.get(kind, [])
    ]


def build_tables(manifest: Mapping[str, Any]) -> list[Table]:
    """Return the export tables, in a fixed order, from a manifest."""
    out = []
    for name, spec in SPECS.items():
        columns = tuple(_c(s) for s in spec.split())
        source: Sequence[Mapping[str, Any]] = (
            _changes(manifest) if name == "changes" else manifest.get(name, [])
        )
        rows = tuple(tuple(_cell(r, c.key) for c in columns) for r in source)
        out.append(Table(name, columns, rows))
    return out
