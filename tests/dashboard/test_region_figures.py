"""Pure figure builders of the Region page (dashboard/figures_region.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from dashboard import figures_region as fr


def obs(
    period: str,
    value: float | None,
    *,
    latest: bool = True,
    vintage: str = "2024-06-30",
    source: str = "worldbank_homicide",
    **extra: Any,
) -> dict[str, Any]:
    return {"period": period, "value": value, "is_latest": latest, "vintage": vintage,
            "source": source, "is_demo": False, **extra}  # fmt: skip


def series(code: str, *items: dict[str, Any], unit: str = "per 100,000") -> dict[str, Any]:
    indicator = {"code": code, "name": code.replace("_", " ").title(), "unit": unit}
    return {"indicator": indicator, "items": list(items)}


HOMICIDE = series(
    "homicide_rate",
    obs("2019", 50.0, latest=False, vintage="2023-06-30"),
    obs("2019", 40.0),
    obs("2020", 36.0),
)
ALERT = {"indicator": "homicide_rate", "period": "2020", "severity": "critical", "value": None,
         "rule": "spike", "state": "firing", "explanation": "up"}  # fmt: skip
DOCS = [
    {"symbol": "S/PV.9000", "kind": "meeting", "date": "2022-03-01", "title": "Guinea-Bissau"},
    {"symbol": "S/RES/2700 (2023)", "kind": "resolution", "date": "2023-05-02", "title": "T"},
    {"symbol": "S/PV.1", "kind": "meeting", "date": None, "title": "undated"},
]


@pytest.mark.parametrize(
    ("period", "expected"),
    [("2020", date(2020, 1, 1)), ("2020Q3", date(2020, 7, 1)), ("2020-05", date(2020, 5, 1)),
     ("2020-05-03", date(2020, 5, 3))],
)  # fmt: skip
def test_period_date(period: str, expected: date) -> None:
    assert fr.period_date(period) == expected


def test_latest_values_are_a_line_and_earlier_vintages_faint_markers() -> None:
    latest, older = fr.series_traces(HOMICIDE)
    assert latest.mode == "lines+markers" and list(latest.y) == [40.0, 36.0]
    assert older.mode == "markers" and list(older.y) == [50.0]
    assert older.marker.symbol == "circle-open"
    assert "superseded" in older.hovertext[0] and "vintage 2023-06-30" in older.hovertext[0]


def test_hover_names_source_vintage_and_retrieval() -> None:
    latest = fr.series_traces(HOMICIDE, {"worldbank_homicide": "2024-07-01T04:00:00Z"})[0]
    assert "source worldbank_homicide" in latest.hovertext[0]
    assert "source last retrieved 2024-07-01" in latest.hovertext[0]
    own = fr.provenance(obs("2020", 1.0, retrieved_at="2024-08-01T00:00:00Z"))
    assert own.endswith("retrieved 2024-08-01")


def test_alert_markers_sit_on_the_alerted_value() -> None:
    trace = fr.alert_trace(HOMICIDE, [ALERT, {**ALERT, "indicator": "other"}])
    assert list(trace.y) == [36.0]
    assert trace.marker.color[0] == fr.SEVERITY_COLORS["critical"]


def test_region_figure_has_one_row_per_series_and_the_council_lane() -> None:
    figure = fr.region_figure([HOMICIDE, series("sc_meetings", obs("2020Q1", 2))], [ALERT], DOCS)
    titles = [a.text for a in figure.layout.annotations]
    assert titles[-1] == fr.COUNCIL_LANE and len(titles) == 3
    lanes = [t for t in figure.data if t.name in {"meetings", "outcomes"}]
    assert [list(t.customdata) for t in lanes] == [["S/PV.9000"], ["S/RES/2700 (2023)"]]
    assert "Guinea-Bissau" in lanes[0].hovertext[0] and "2022-03-01" in lanes[0].hovertext[0]


def test_an_empty_council_lane_says_so() -> None:
    figure = fr.region_figure([HOMICIDE], [], [])
    assert any("No dated Council documents" in a.text for a in figure.layout.annotations)


def test_seizures_stack_by_drug_group() -> None:
    cocaine = series("seizures_cocaine_kg", obs("2020", 120.0), unit="kg")
    cannabis = series("seizures_cannabis_kg", obs("2020", 80.0), obs("2019", None), unit="kg")
    figure = fr.seizures_figure([cocaine, cannabis])
    assert figure.layout.barmode == "stack"
    assert [t.name for t in figure.data] == ["cocaine", "cannabis"]
    assert list(figure.data[1].y) == [80.0]
    assert fr.seizure_group("homicide_rate") is None


def test_gdelt_is_a_thin_daily_line() -> None:
    daily = series("gdelt_crime_events", obs("2024-01-01", 3), obs("2024-01-02", 5), unit="events")
    figure = fr.gdelt_figure([daily])
    assert figure.data[0].mode == "lines" and len(figure.data[0].x) == 2


def test_provenance_rows_summarise_sources_vintages_and_revisions() -> None:
    rows = fr.provenance_rows([HOMICIDE], {"worldbank_homicide": "2024-07-01T04:00:00Z"})
    assert rows == [
        {"indicator": "Homicide Rate", "source": "worldbank_homicide", "periods": "2019 to 2020",
         "vintages": "2023-06-30, 2024-06-30", "revised": 1, "demo": False,
         "retrieved": "2024-07-01 04:00"}
    ]  # fmt: skip
