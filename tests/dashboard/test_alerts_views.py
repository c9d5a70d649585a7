"""Alerts page views and the Overview's timeline views with a fake API client."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from dashboard import api_client, ids
from dashboard.api_client import ApiError
from dashboard.pages import alert_detail, alerts, overview, overview_timeline

API = "http://api.test"


def alert(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": n, "rule": "homicide_surge", "rule_version": 2, "region": "HND",
        "region_name": "Honduras", "indicator": "homicide_rate", "period": "2021",
        "state": "firing", "triage": "new", "severity": "critical", "value": 41.25,
        "baseline": 30.0, "threshold": 33.0, "explanation": f"Rate rose sharply ({n}).",
        "detected_at": "2024-01-01T10:20:30Z", "assignee": None, "is_demo": True, **extra,
    }  # fmt: skip


def failing(*_args: Any, **_kwargs: Any) -> Any:
    raise ApiError("API error 409: Alert 5 is already acknowledged")


def text_of(component: Any) -> str:
    """Flatten a Dash component tree to its words, separated by single spaces."""
    if component is None or isinstance(component, bool):
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(text_of(child) for child in component)
    return " ".join(text_of(getattr(component, "children", None)).split())


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Replace api_client functions by name with fakes."""

    def install(**fakes: Callable[..., Any]) -> None:
        for name, fake in fakes.items():
            monkeypatch.setattr(api_client, name, fake)

    return install


# ----------------------------------------------------------------- inbox


def test_filters_become_the_api_query() -> None:
    filters = alerts.Filters(
        state=["firing"], severity=[], triage=["new", "acknowledged"], rule=" surge ",
        region="hnd, gtm", period_from="2018", period_to="", sort="-severity",
    )  # fmt: skip
    assert filters.query() == {
        "state": ["firing"], "severity": None, "triage": ["new", "acknowledged"],
        "rule": "surge", "region": ["HND", "GTM"], "period_from": "2018", "period_to": None,
        "sort": "-severity",
    }  # fmt: skip


def test_inbox_view_pages_and_counts(fake_api: Callable[..., None]) -> None:
    calls: list[dict[str, Any]] = []

    def fake_alerts(_url: str, **query: Any) -> dict[str, Any]:
        calls.append(query)
        return {"items": [alert(1), alert(2)], "total": 52, "page": 2, "page_size": 50}

    fake_api(alerts=fake_alerts)
    rows, pager, no_prev, no_next, message = alerts.inbox_view(API, alerts.Filters(), 2)
    assert calls[0]["page"] == 2 and calls[0]["page_size"] == alerts.PAGE_SIZE
    assert [r["id"] for r in rows] == [1, 2]
    assert rows[0]["value"] == overview.format_value(41.25)
    assert rows[0]["detected"] == "2024-01-01 10:20"
    assert pager == "51 to 52 of 52 alerts · page 2 of 2"
    assert (no_prev, no_next, message) == (False, True, "")


def test_inbox_view_empty_state_and_errors(fake_api: Callable[..., None]) -> None:
    fake_api(alerts=lambda _url, **_q: {"items": [], "total": 0, "page": 1, "page_size": 50})
    assert alerts.inbox_view(API, alerts.Filters(), 1)[-1] == alerts.EMPTY
    fake_api(alerts=failing)
    rows, *_, message = alerts.inbox_view(API, alerts.Filters(), 1)
    assert rows == [] and message.startswith("Alerts could not be loaded. API error 409")


def test_one_alert_uses_the_single_endpoint(fake_api: Callable[..., None]) -> None:
    calls: list[tuple[Any, ...]] = []
    fake_api(triage_alert=lambda _url, alert_id, action: calls.append((alert_id, action)))
    assert alerts.apply_action(API, "acknowledge", [5], {}) == "Acknowledged 1 alert."
    assert calls == [(5, "acknowledge")]
    fake_api(triage_alert=failing)
    assert alerts.apply_action(API, "acknowledge", [5], {}) == (
        "Nothing changed. API error 409: Alert 5 is already acknowledged"
    )


def test_several_alerts_go_through_bulk_and_report_refusals(
    fake_api: Callable[..., None],
) -> None:
    sent: list[tuple[Any, ...]] = []

    def fake_bulk(_url: str, ids_: list[int], action: str, **fields: Any) -> dict[str, Any]:
        sent.append((ids_, action, fields))
        items = [{"id": 1, "status": 200}, {"id": 2, "status": 409, "detail": "dismissed"}]
        return {"done": 1, "refused": 1, "items": items}

    fake_api(bulk_alerts=fake_bulk)
    outcome = alerts.apply_action(API, "label", [1, 2], {"label": "useful"})
    assert outcome == "Labelled 1 alert. Refused: #2 dismissed."
    assert sent == [([1, 2], "label", {"label": "useful"})]
    alerts.apply_action(API, "assign", [1, 2], {"assignee": ""})
    assert sent[-1] == ([1, 2], "assign", {"assignee": None})


def test_comments_need_text_and_go_to_each_alert(fake_api: Callable[..., None]) -> None:
    bodies: list[tuple[int, str]] = []
    fake_api(comment_alert=lambda _url, alert_id, body: bodies.append((alert_id, body)))
    assert (
        alerts.apply_action(API, "comment", [1, 2], {"comment": "  "}) == "Write a comment first."
    )
    assert alerts.apply_action(API, "comment", [1, 2], {"comment": "seen in press"}) == (
        "Commented on 2 alerts."
    )
    assert bodies == [(1, "seen in press"), (2, "seen in press")]
    assert alerts.apply_action(API, "dismiss", [], {}) == "Select one or more alerts first."


def test_detail_view_explains_the_alert(fake_api: Callable[..., None]) -> None:
    detail = alert(
        7,
        assignee="analyst1",
        transitions=[{"at": "2024-01-02T08:00:00Z", "actor": "analyst1", "field": "triage",
                      "from_value": "new", "to_value": "acknowledged", "note": "seen"}],
        comments=[{"author": "analyst1", "body": "Matches press reports.",
                   "created_at": "2024-01-02T09:00:00Z"}],
    )  # fmt: skip
    series = {
        "indicator": {"code": "homicide_rate", "name": "Homicide", "unit": "per 100k"},
        "items": [{"period": "2020", "value": 30.0}, {"period": "2021", "value": 41.25}],
    }
    fake_api(alert=lambda _url, _id: detail, series=lambda _url, **_kw: series)
    text = text_of(alert_detail.detail_view(API, 7))
    expected_parts = (
        "Alert #7", "Rate rose sharply (7).", "homicide_surge (version 2)", "Honduras (HND)",
        "2024-01-01 10:20:30 UTC", "Threshold 33", "analyst1: triage new → acknowledged (seen)",
        "Matches press reports.",
    )  # fmt: skip
    for expected in expected_parts:
        assert expected in text


def test_detail_view_shows_errors_and_the_empty_state(fake_api: Callable[..., None]) -> None:
    assert "Select an alert" in text_of(alert_detail.detail_view(API, None))
    fake_api(alert=failing)
    assert "Alert 9 could not be loaded. API error 409" in text_of(alert_detail.detail_view(API, 9))


@pytest.mark.parametrize(
    ("selected", "current", "expected"),
    [([{"id": 3}, {"id": 4}], 4, 4), ([{"id": 3}, {"id": 4}], 9, 3), ([], 4, None)],
)
def test_focus_follows_the_selection(
    selected: list[dict[str, Any]], current: int, expected: int | None
) -> None:
    assert alerts.focus_after_selection(selected, current) == expected


@pytest.mark.parametrize(
    ("trigger", "page", "expected"),
    [(ids.ALERTS_NEXT, 2, 3), (ids.ALERTS_PREV, 2, 1), (ids.ALERTS_PREV, 1, 1),
     (ids.ALERTS_STATE, 4, 1)],
)  # fmt: skip
def test_paging_and_filter_changes(trigger: str, page: int, expected: int) -> None:
    assert alerts.next_page(trigger, page) == expected


def test_deep_link_sets_the_focus() -> None:
    layout = alerts.layout(id="12")
    assert layout.children[0].id == ids.ALERTS_FOCUS and layout.children[0].data == 12
    assert alerts.layout(id="x").children[0].data is None


# ----------------------------------------------------------------- overview timeline


def test_new_this_week_counts_recent_detections(fake_api: Callable[..., None]) -> None:
    now = datetime(2024, 1, 10, tzinfo=UTC)
    recent = [alert(1, detected_at="2024-01-09T00:00:00Z"), alert(2)]  # alert 2: 2024-01-01
    fake_api(alerts=lambda _url, **_q: {"items": recent, "total": 2, "page": 1, "page_size": 100})
    assert text_of(overview_timeline.new_this_week(API, now=now)).startswith("1 new")
    full = [alert(n, detected_at="2024-01-09T00:00:00Z") for n in range(100)]
    fake_api(alerts=lambda _url, **_q: {"items": full, "total": 250, "page": 1, "page_size": 100})
    assert text_of(overview_timeline.new_this_week(API, now=now)).startswith("100+ new")


def test_stale_sources_names_them(fake_api: Callable[..., None]) -> None:
    fake_api(sources=lambda _url: [
        {"id": "unodc_cts", "freshness": {"status": "stale"}},
        {"id": "gdelt", "freshness": {"status": "fresh"}},
    ])  # fmt: skip
    assert text_of(overview_timeline.stale_sources(API)) == "1 of 2 unodc_cts"
    fake_api(sources=failing)
    assert "Sources unavailable" in text_of(overview_timeline.stale_sources(API))


@pytest.mark.parametrize(
    ("events", "seen", "expected"),
    [
        (None, 0, ("", True)),
        ({"alerts": [4, 5], "events": 3}, 0, ("2 new alerts · hide", False)),
        ({"alerts": [4, 5, 6], "events": 4}, 2, ("1 new alert · hide", False)),
        ({"alerts": [4, 5], "events": 2}, 2, ("", True)),
    ],
)
def test_live_notice(events: dict[str, Any] | None, seen: int, expected: tuple[str, bool]) -> None:
    assert overview_timeline.live_notice(events, seen) == expected


def test_timeline_view_reports_api_errors(fake_api: Callable[..., None]) -> None:
    fake_api(alerts=failing)
    items, message = overview_timeline.active_alerts(API)
    assert items == [] and message.startswith("The timeline could not be loaded.")
