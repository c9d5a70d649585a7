"""The executive summary and change notes, written from the manifest by templates."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any


def fmt(value: float | None, digits: int = 1) -> str:
    """Format a number for prose, or an em dash when missing."""
    return "—" if value is None else f"{value:,.{digits}f}"


def pct(value: float | None) -> str:
    """Format a percentage change with its sign, or an em dash when missing."""
    return "—" if value is None else f"{value:+.1f}%"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _alert_sentence(alerts: list[Mapping[str, Any]]) -> str:
    raised = [a for a in alerts if a["raised"]]
    active = [a for a in alerts if a["active"]]
    resolved = [a for a in alerts if a["resolved"]]
    severities = Counter(a["severity"] for a in active)
    parts = ", ".join(
        f"{severities[s]} {s}" for s in ("critical", "warning", "info") if severities[s]
    )
    text = (
        f"During the quarter the rules raised {_plural(len(raised), 'alert')}; "
        f"{_plural(len(active), 'alert')} were active at its end"
    )
    text += f" ({parts})" if parts else ""
    return text + f", and {len(resolved)} were resolved."


def _mover_sentence(manifest: Mapping[str, Any]) -> str:
    movers = manifest["movers"][:3]
    if not movers:
        return "No region's latest value deteriorated against its previous period."
    named = "; ".join(
        f"{m['region_name']} ({fmt(m['previous_value'])} in {m['previous_period']} to "
        f"{fmt(m['value'])} in {m['period']}, {pct(m['change_pct'])})"
        for m in movers
    )
    return f"The largest deteriorations were: {named}."


def _highest_sentence(manifest: Mapping[str, Any]) -> str:
    lines = []
    for indicator in manifest["indicators"]:
        mine = [s for s in manifest["scores"] if s["indicator"] == indicator["code"]]
        top = sorted(mine, key=lambda s: s["rank"])[:3]
        if top:
            names = ", ".join(f"{s['region_name']} ({fmt(s['value'])})" for s in top)
            lines.append(
                f"{indicator['name']}: data for {_plural(len(mine), 'region')}; the highest "
                f"latest values are in {names} ({indicator['unit']})."
            )
    return " ".join(lines)


def executive_summary(manifest: Mapping[str, Any]) -> list[str]:
    """Return the summary's paragraphs (plain text, not yet escaped for the PDF)."""
    stale = [s["title"] for s in manifest["sources"] if s["stale"] and s["observations"]]
    docs = manifest["documents"]
    paragraphs = [
        _alert_sentence(manifest["alerts"]),
        _mover_sentence(manifest),
        _highest_sentence(manifest),
        f"The Security Council record for the quarter holds {_plural(len(docs), 'document')}.",
    ]
    if stale:
        paragraphs.append("Sources past their usual release cadence: " + "; ".join(stale) + ".")
    return [p for p in paragraphs if p]


def change_summary(manifest: Mapping[str, Any]) -> str:
    """Return one sentence on what changed since the previous quarter's snapshot."""
    changes = manifest["changes"]
    if changes["previous_snapshot"] is None:
        return "No snapshot of the previous quarter exists, so no comparison is made."
    return (
        f"Compared with the snapshot of {changes['previous_snapshot']}: "
        f"{_plural(len(changes['new']), 'new alert')}, {len(changes['escalated'])} escalated, "
        f"{len(changes['resolved'])} resolved, and {_plural(len(changes['ranks']), 'rank change')}."
    )
