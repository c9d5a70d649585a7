"""Pure derivations from frozen rows: scores per region, top movers, change since last quarter."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

Row = dict[str, Any]
SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}


def _score(series: list[Row], higher_is_worse: bool) -> Row | None:
    valued = [o for o in series if o["value"] is not None]
    if not valued:
        return None
    last = valued[-1]
    prev = valued[-2] if len(valued) > 1 else None
    change = None if prev is None else last["value"] - prev["value"]
    pct = None if prev is None or not prev["value"] else 100.0 * change / abs(prev["value"])  # type: ignore[operator]
    worse = None if change is None else (change if higher_is_worse else -change)
    return {
        "indicator": last["indicator"], "region": last["region"],
        "region_name": last["region_name"], "period": last["period"], "value": last["value"],
        "previous_period": prev["period"] if prev else None,
        "previous_value": prev["value"] if prev else None, "change": change,
        "change_pct": pct, "deterioration": worse, "vintage": last["vintage"],
        "source": last["source"],
    }  # fmt: skip


def scores(observations: Sequence[Row], indicators: Sequence[Row]) -> list[Row]:
    """Return, per indicator and region, the latest value, its change, and its rank (1 = worst)."""
    direction = {i["code"]: bool(i["higher_is_worse"]) for i in indicators}
    series: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for obs in observations:  # already sorted by indicator, region, period
        series[(obs["indicator"], obs["region"])].append(obs)
    out: list[Row] = []
    for (code, _region), rows in sorted(series.items()):
        score = _score(rows, direction.get(code, True))
        if score is not None:
            out.append(score)
    for code, worse_high in direction.items():
        mine = [s for s in out if s["indicator"] == code]
        ordered = sorted(
            mine, key=lambda s: (-s["value"] if worse_high else s["value"], s["region"])
        )
        for rank, score in enumerate(ordered, start=1):
            score["rank"] = rank
    return out


def _year(period: str) -> int:
    return int(period[:4])


def top_movers(score_rows: Sequence[Row], *, limit: int = 10, recent_years: int = 2) -> list[Row]:
    """Return the largest absolute deteriorations among recent values.

    A value counts when its period is within ``recent_years`` of the newest period of its
    indicator, so a region whose data stopped years ago does not lead the list. Absolute
    change, not percentage, ranks them: small bases make percentages explode.
    """
    newest: dict[str, int] = {}
    for s in score_rows:
        newest[s["indicator"]] = max(newest.get(s["indicator"], 0), _year(s["period"]))
    moved = [
        s for s in score_rows
        if s["deterioration"] is not None and s["deterioration"] > 0
        and _year(s["period"]) >= newest[s["indicator"]] - recent_years
    ]  # fmt: skip
    moved.sort(key=lambda s: (-s["deterioration"], s["region"]))
    return moved[:limit]


def _by_key(alerts: Sequence[Row]) -> dict[tuple[str, str, str], Row]:
    return {(a["rule"], a["region"], a["period"]): a for a in alerts}


def changes(previous: Mapping[str, Any] | None, current: Mapping[str, Any]) -> Row:
    """Compare two manifests: new, escalated and resolved alerts, and rank changes."""
    if previous is None:
        return {"previous_snapshot": None, "new": [], "escalated": [], "resolved": [], "ranks": []}
    before = _by_key(previous.get("alerts", []))
    now = _by_key(current.get("alerts", []))
    new = [a for k, a in now.items() if k not in before and a["active"]]
    escalated = [
        a for k, a in now.items() if k in before and a["active"]
        and (SEVERITY_RANK[a["severity"]] > SEVERITY_RANK[before[k]["severity"]]
             or (a["triage"] == "escalated" and before[k]["triage"] != "escalated"))
    ]  # fmt: skip
    resolved = [a for a in now.values() if a["resolved"]]
    old_rank = {(s["indicator"], s["region"]): s["rank"] for s in previous.get("scores", [])}
    ranks = [
        {"indicator": s["indicator"], "region": s["region"], "region_name": s["region_name"],
         "previous_rank": old_rank[(s["indicator"], s["region"])], "rank": s["rank"],
         "moved": old_rank[(s["indicator"], s["region"])] - s["rank"]}
        for s in current.get("scores", [])
        if (s["indicator"], s["region"]) in old_rank
        and old_rank[(s["indicator"], s["region"])] != s["rank"]
    ]  # fmt: skip
    ranks.sort(key=lambda r: (-abs(r["moved"]), r["indicator"], r["region"]))
    keys = ("id", "rule", "region", "region_name", "period", "severity")
    return {
        "previous_snapshot": previous.get("quarter"),
        "new": [{k: a[k] for k in keys} for a in new],
        "escalated": [{k: a[k] for k in keys} for a in escalated],
        "resolved": [{k: a[k] for k in keys} for a in resolved],
        "ranks": ranks,
    }
