"""Pure figure builders for alerts (dashboard/figures_alerts.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from dashboard import figures_alerts as fa
from dashboard.figures import MAP_COLORSCALE, SEVERITY_COLORS
from tests.dashboard.test_figures import checked


def alert(
    alert_id: int, *, region: str = "HND", rule: str = "spike", severity: str = "critical",
    period: str = "2020", **extra: Any,
) -> dict[str, Any]:  # fmt: skip
    names = {"HND": "Honduras", "GTM": "Guatemala", "GNB": "Guinea-Bissau"}
    return {
        "id": alert_id, "region": region, "region_name": names.get(region, region),
        "rule": rule, "severity": severity, "period": period, "state": "firing",
        "triage": "new", "value": 40.0, "baseline": 30.0, "threshold": 35.0, **extra,
    }  # fmt: skip


ALERTS = [
    alert(1, region="HND", severity="critical", period="2019"),
    alert(2, region="GTM", severity="warning", rule="trend", period="2020"),
    alert(3, region="HND", severity="info", rule="trend", period="2021"),
]


def test_timeline_has_one_trace_per_severity_in_palette_colours() -> None:
    figure = fa.timeline_figure(ALERTS)
    assert [t.name for t in figure.data] == ["critical", "warning", "info"]
    for trace in figure.data:
        assert trace.marker.color == SEVERITY_COLORS[trace.name]
        assert trace.marker.color not in MAP_COLORSCALE
    assert list(figure.data[0].customdata) == [1]
    assert figure.data[0].x[0] == date(2019, 1, 1)


@pytest.mark.parametrize(
    ("by", "lanes"), [("region", ["Honduras", "Guatemala"]), ("rule", ["trend", "spike"])]
)
def test_timeline_swimlanes_by_region_or_rule(by: fa.Lane, lanes: list[str]) -> None:
    figure = fa.timeline_figure(ALERTS, by=by)
    # Alphabetical from the top: plotly lists categories bottom-up.
    assert list(figure.layout.yaxis.categoryarray) == lanes
    assert figure.layout.yaxis.fixedrange is True
    assert figure.layout.xaxis.type == "date"
    assert {y for t in figure.data for y in t.y} == set(lanes)


def test_timeline_keeps_the_busiest_lanes_and_says_how_many_are_left_out() -> None:
    few = fa.timeline_figure(ALERTS).layout.height
    many = [alert(i, region=f"R{i:02d}") for i in range(1, 60)]
    many += [alert(100, region="R59"), alert(101, region="R58")]
    figure = fa.timeline_figure(many)
    lanes = list(figure.layout.yaxis.categoryarray)
    assert len(lanes) == fa.MAX_LANES and {"R59", "R58"} <= set(lanes)
    assert {y for t in figure.data for y in t.y} == set(lanes)
    assert figure.layout.annotations[0].text == f"{59 - fa.MAX_LANES} quieter regions not shown"
    assert few < figure.layout.height <= fa.MAX_TIMELINE_PX


@pytest.mark.parametrize(
    ("periods", "expected"),
    [
        # All on one date: plotly alone would zoom to a millisecond around it.
        (["2023", "2023"], ["2021-12-31", "2024-01-02"]),
        (["2023-05", "2023-06"], ["2023-03-31", "2023-07-02"]),
        (["2024-03-10"], ["2024-03-09", "2024-03-11"]),
        (["2023Q2", "2023-05"], ["2022-12-30", "2023-08-01"]),  # the longer period pads
        (["2017", "2021"], None),  # spread enough: plotly's own range
    ],
)
def test_timeline_pads_a_narrow_time_range_by_a_period(
    periods: list[str], expected: list[str] | None
) -> None:
    figure = fa.timeline_figure([alert(n, period=p) for n, p in enumerate(periods)])
    assert (list(figure.layout.xaxis.range) if figure.layout.xaxis.range else None) == expected


def test_empty_timeline_says_so() -> None:
    figure = fa.timeline_figure([])
    assert figure.data == ()
    assert figure.layout.annotations[0].text == "No alerts to show"


@pytest.mark.parametrize(
    ("click", "expected"),
    [
        ({"points": [{"customdata": 7}]}, 7),
        ({"points": [{"customdata": [12]}]}, 12),
        ({"points": [{"x": "2020-01-01"}]}, None),
        ({"points": []}, None),
        (None, None),
    ],
)
def test_clicked_alert_id(click: dict[str, Any] | None, expected: int | None) -> None:
    assert fa.clicked_alert_id(click) == expected


def obs(period: str, value: float, *, latest: bool = True) -> dict[str, Any]:
    return {"period": period, "value": value, "is_latest": latest, "vintage": "2024-06-30",
            "source": "unodc", "is_demo": False}  # fmt: skip


SERIES: dict[str, Any] = {
    "indicator": {"code": "homicide_rate", "name": "Homicide rate", "unit": "per 100,000"},
    "items": [obs(str(year), float(year - 1990)) for year in range(1990, 2021)]
    + [obs("2019", 1.0, latest=False)],
}


def test_context_window_keeps_periods_around_the_alert_with_every_vintage() -> None:
    window = fa.context_window(SERIES["items"], "2019", around=2)
    assert sorted({i["period"] for i in window}) == ["2017", "2018", "2019", "2020"]
    assert len([i for i in window if i["period"] == "2019"]) == 2
    assert fa.context_window(SERIES["items"], "1800") == SERIES["items"]


def test_context_figure_marks_value_baseline_and_threshold() -> None:
    figure = fa.context_figure(SERIES, alert(1, period="2019", value=29.0))
    line = figure.data[0]
    assert [d.year for d in line.x] == list(range(2019 - fa.CONTEXT_PERIODS, 2021))
    marker = next(t for t in figure.data if t.name == "alert")
    assert marker.y == (29.0,) and marker.marker.color == SEVERITY_COLORS["critical"]
    levels = sorted(shape.y0 for shape in figure.layout.shapes)
    assert levels == [30.0, 35.0]
    texts = {a.text for a in figure.layout.annotations}
    assert texts == {"baseline 30", "threshold 35"}
    assert figure.layout.yaxis.title.text == "per 100,000"


def test_context_figure_without_numbers_draws_only_the_series() -> None:
    figure = fa.context_figure(SERIES, alert(1, value=None, baseline=None, threshold=None))
    assert [t.name for t in figure.data if t.name == "alert"] == []
    assert figure.layout.shapes == ()


@pytest.mark.parametrize("by", ["region", "rule"])
def test_timelines_pass_plotly_checks(by: fa.Lane) -> None:
    many = [alert(i, region=f"R{i:02d}") for i in range(1, 30)]
    for alerts in (ALERTS, many, []):
        checked(fa.timeline_figure(alerts, by=by))
