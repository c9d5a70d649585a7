"""Rules workbench figures: the kept/added/removed timeline and the scorecard bars."""

from __future__ import annotations

from typing import Any

from dashboard import figures_rules
from dashboard.figures_rules import STATUS_STYLES


def alert(region: str, period: str, rule: str = "jump", **fields: Any) -> dict[str, Any]:
    return {"rule": rule, "region": region, "period": period, "severity": "warning",
            "value": 9.5, "explanation": f"{region} {period}"} | fields  # fmt: skip


PROPOSED = [alert("HND", "2009"), alert("MEX", "2008"), alert("MEX", "2010")]
ADDED = [alert("MEX", "2010")]
REMOVED = [alert("SLV", "2015")]


def test_impact_rows_mark_kept_added_and_removed_in_period_order() -> None:
    rows = figures_rules.impact_rows(PROPOSED, ADDED, REMOVED)
    assert [(r["region"], r["period"], r["status"]) for r in rows] == [
        ("MEX", "2008", "kept"),
        ("HND", "2009", "kept"),
        ("MEX", "2010", "added"),
        ("SLV", "2015", "removed"),
    ]
    assert figures_rules.status_counts(rows) == {"kept": 2, "added": 1, "removed": 1}


def test_a_kept_alert_is_matched_by_rule_region_and_period_not_by_value() -> None:
    rows = figures_rules.impact_rows(
        [alert("HND", "2009", value=1.0)], [alert("HND", "2009", rule="other")], []
    )
    assert rows[0]["status"] == "kept"


def test_timeline_draws_one_trace_per_status_with_its_marker_and_counts() -> None:
    figure = figures_rules.timeline_figure(figures_rules.impact_rows(PROPOSED, ADDED, REMOVED))
    traces = {trace.name: trace for trace in figure.data}
    assert list(traces) == ["kept (2)", "added by the edit (1)", "removed by the edit (1)"]
    added = traces["added by the edit (1)"]
    assert (list(added.x), list(added.y)) == (["2010"], ["MEX"])
    assert added.marker.symbol == STATUS_STYLES["added"]["symbol"]
    assert traces["removed by the edit (1)"].marker.color == STATUS_STYLES["removed"]["color"]
    assert list(figure.layout.xaxis.categoryarray) == ["2008", "2009", "2010", "2015"]
    assert figure.layout.showlegend is True, "kept-only timelines still say what a dot is"
    # Regions read top-down alphabetically: plotly draws the first category at the bottom.
    assert list(figure.layout.yaxis.categoryarray) == ["SLV", "MEX", "HND"]


def test_timeline_grows_with_the_number_of_regions() -> None:
    few = figures_rules.timeline_figure(figures_rules.impact_rows(PROPOSED, [], []))
    many_rows = [alert(f"R{n:02d}", "2010") for n in range(40)]
    many = figures_rules.timeline_figure(figures_rules.impact_rows(many_rows, [], []))
    assert few.layout.height == 200
    margin = figures_rules.TIMELINE_MARGIN
    assert many.layout.height == 40 * figures_rules.ROW_PX + margin["t"] + margin["b"]


def test_beyond_the_region_limit_changed_regions_come_first_then_the_busiest() -> None:
    kept = [alert(f"R{n:02d}", "2010") for n in range(5)] + [alert("R04", "2012")]
    rows = figures_rules.impact_rows([*kept, alert("R01", "2011")], [alert("R01", "2011")], [])
    drawn, left_out = figures_rules.focus_rows(rows, max_regions=2)
    assert sorted({r["region"] for r in drawn}) == ["R01", "R04"]
    assert left_out == 3
    assert figures_rules.focus_rows(rows, max_regions=5) == (rows, 0)
    unchanged = figures_rules.impact_rows(kept, [], [])
    assert {r["region"] for r in figures_rules.focus_rows(unchanged, max_regions=1)[0]} == {"R04"}
    figure = figures_rules.timeline_figure(drawn, figures_rules.status_counts(rows))
    assert figure.data[0].name == "kept (6)", "the legend counts every alert, drawn or not"


def test_scorecard_bars_show_precision_and_recall_and_say_when_unknown() -> None:
    items = [
        {"rule": "jump", "precision": 0.5, "recall": 0.75},
        {"rule": "record", "precision": None, "recall": 0.0},
    ]
    figure = figures_rules.scorecard_figure(items)
    precision, recall = figure.data
    assert (precision.name, list(precision.x), list(precision.text)) == (
        "precision", [0.5, 0], ["50%", "n/a"],
    )  # fmt: skip
    assert (recall.name, list(recall.y), list(recall.text)) == (
        "recall",
        ["jump", "record"],
        ["75%", "0%"],
    )
    assert figure.layout.xaxis.tickformat == ".0%"
