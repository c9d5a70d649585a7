"""Sources page: pure figures and views with a fake API client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dashboard import api_client, figures_sources
from dashboard.api_client import ApiError
from dashboard.pages import sources

API = "http://api.test"
COVERAGE = {
    "regions": [
        {"code": "NGA", "name": "Nigeria", "group": "Africa"},
        {"code": "GTM", "name": "Guatemala", "group": "Americas"},
        {"code": "MEX", "name": "Mexico", "group": "Americas"},
    ],
    "indicators": ["homicide_rate", "sc_meetings"],
    "cells": [[0, 0, "2020"], [2, 1, "2021Q3"]],
}


def run(n: int, status: str = "succeeded") -> dict[str, Any]:
    counts = {"read": 10, "inserted": n, "revised": 1, "unchanged": 2, "quarantined": 0}
    return {"id": n, "status": status, "counts": counts, "started_at": "2024-07-01T00:00:00Z",
            "finished_at": "2024-07-01T00:05:00Z", "error": None}  # fmt: skip


def source(**fields: Any) -> dict[str, Any]:
    return {
        "id": "worldbank_homicide", "title": "Homicides", "publisher": "World Bank",
        "cadence": "yearly", "schedule": "30 4 * * 1", "enabled": True,
        "next_run": "2024-07-09T04:30:00Z", "last_run": run(2),
        "freshness": {"status": "fresh", "as_of": "2024-06-30", "age_days": 3, "cadence_days": 365},
    } | fields  # fmt: skip


def text(component: Any) -> str:
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(text(child) for child in component)
    return text(getattr(component, "children", None))


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    def install(**fakes: Callable[..., Any]) -> None:
        for name, fake in fakes.items():
            monkeypatch.setattr(api_client, name, fake)

    return install


def test_coverage_matrix_places_latest_periods_under_group_headers() -> None:
    labels, z, periods = figures_sources.coverage_matrix(COVERAGE)
    assert labels == ["<b>AFRICA</b>", "Nigeria (NGA)", "<b>AMERICAS</b>", "Guatemala (GTM)",
                      "Mexico (MEX)"]  # fmt: skip
    assert z == [[None, None], [2020.0, None], [None, None], [None, None], [None, 2021.5]]
    assert periods[4][1] == "2021Q3" and periods[3][0] == "no data"


def test_coverage_figure_keeps_one_row_per_label() -> None:
    figure = figures_sources.coverage_figure(COVERAGE)
    assert len(figure.data[0].y) == 5
    assert len(figure.layout.shapes) == 2  # a white band over each group header
    assert figure.layout.height == 5 * figures_sources.CELL_PX + 160


def test_runs_figure_stacks_counts_oldest_first_and_marks_failures() -> None:
    figure = figures_sources.runs_figure([run(3, "failed"), run(2), run(1)])
    assert [t.name for t in figure.data] == list(figures_sources.COUNT_COLORS)
    assert list(figure.data[0].x) == ["#1", "#2", "#3"] and list(figure.data[0].y) == [1, 2, 3]
    assert [a.x for a in figure.layout.annotations] == ["#3"]


def test_sources_view_shows_chip_schedule_next_run_and_runs(fake_api: Callable[..., None]) -> None:
    failed = source(id="gdelt", freshness={"status": "stale", "as_of": "2024-01-01",
                    "age_days": 200, "cadence_days": 1},
                    last_run={**run(5, "failed"), "error": "HTTP 503"})  # fmt: skip
    fake_api(
        sources=lambda _url: [source(), failed],
        source_runs=lambda _url, sid, **_kw: {"items": [run(1)] if sid == "gdelt" else []},
    )
    cards = sources.sources_view(API)
    first, second = text(cards[0]), text(cards[1])
    assert "fresh" in first and "2024-07-09 04:30 UTC" in first and "30 4 * * 1" in first
    assert "tocsin ingest run worldbank_homicide" in first  # no runs: what to do
    assert "stale" in second and "Last error" in second and "HTTP 503" in second
    assert cards[1].children[-1].figure.data


def test_sources_and_coverage_errors_are_messages(fake_api: Callable[..., None]) -> None:
    def down(*_args: Any, **_kw: Any) -> Any:
        raise ApiError("Cannot reach the API at x.")

    fake_api(sources=down, coverage=down)
    assert "Sources could not be loaded" in text(sources.sources_view(API))
    assert "Coverage could not be loaded" in text(sources.coverage_view(API))


def test_empty_states_say_what_to_do(fake_api: Callable[..., None]) -> None:
    fake_api(sources=lambda _url: [], coverage=lambda _url: {**COVERAGE, "cells": []})
    assert "tocsin ingest list" in text(sources.sources_view(API))
    assert "tocsin demo load" in text(sources.coverage_view(API))
    assert sources.freshness_chip("never").children == "no data"
