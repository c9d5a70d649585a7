"""Snapshots freeze a quarter: scores, movers, alerts, documents, rules, sources; immutable."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from backend.errors import Conflict, InvalidInput
from backend.snapshots.hashing import sha256_json
from backend.snapshots.quarters import Quarter
from backend.snapshots.service import create_snapshot, get_snapshot
from tests.backend.snapshots.factory import at, build_2023


def _by_region(rows: list[dict[str, object]]) -> dict[object, dict[str, object]]:
    return {r["region"]: r for r in rows if str(r["region"]).startswith("SQ")}


@pytest.mark.parametrize(
    ("text", "start", "end", "previous"),
    [("2023Q4", date(2023, 10, 1), date(2023, 12, 31), "2023Q3"),
     ("2024q1", date(2024, 1, 1), date(2024, 3, 31), "2023Q4"),
     ("2024Q2", date(2024, 4, 1), date(2024, 6, 30), "2024Q1")],
)  # fmt: skip
def test_quarters_parse_and_bounds(text: str, start: date, end: date, previous: str) -> None:
    quarter = Quarter.parse(text)
    assert (quarter.start, quarter.end, str(quarter.previous())) == (start, end, previous)


def test_quarters_reject_garbage_and_know_the_last_ended() -> None:
    with pytest.raises(ValueError, match="not a quarter"):
        Quarter.parse("2023Q5")
    assert str(Quarter.last_ended(at(2024, 1, 20), delay_days=15)) == "2023Q4"
    assert str(Quarter.last_ended(at(2024, 1, 10), delay_days=15)) == "2023Q3"


def test_snapshot_freezes_scores_movers_alerts_and_documents(session: Session) -> None:
    world = build_2023(session)
    raised = world.alert("SQA", "2022", at(2023, 11, 5), severity="critical")
    world.comment(raised, "check <script> & co", at(2023, 11, 6))
    old = world.alert("SQC", "2021", at(2023, 8, 1))
    world.move(old, at(2023, 10, 20), "state", "resolved", "firing")
    world.alert("SQB", "2022", at(2024, 1, 10))  # after the quarter: left out
    world.document("S/PV.9999", date(2023, 12, 1), "SQA")
    world.document("S/PV.9000", date(2023, 6, 1), "SQA")  # before the quarter: left out
    snap = create_snapshot(session, quarter="2023Q4", created_by="test", now=at(2024, 1, 15))
    m = snap.manifest
    scores = _by_region(m["scores"])
    assert scores["SQA"]["value"] == 18.0 and scores["SQA"]["previous_value"] == 12.0
    assert scores["SQA"]["change_pct"] == pytest.approx(50.0)
    assert [s["region"] for s in m["movers"] if s["region"].startswith("SQ")] == ["SQA", "SQB"]
    alerts = _by_region(m["alerts"])
    assert set(alerts) == {"SQA", "SQC"}
    assert alerts["SQA"]["raised"] and alerts["SQA"]["active"]
    assert alerts["SQA"]["comments"][0]["body"] == "check <script> & co"
    assert alerts["SQC"]["resolved"] and not alerts["SQC"]["active"]
    assert [d["symbol"] for d in m["documents"]] == ["S/PV.9999"]
    assert any(r["name"] == "snap_rule" and r["definition"] for r in m["rules"])
    source = next(s for s in m["sources"] if s["id"] == "snaptest_src")
    assert source["observations"] == 9 and source["payload_sha256"] == "ab" * 32
    assert snap.content_sha256 == sha256_json(m)


def test_snapshot_keeps_the_newest_vintage_known_and_ignores_later_periods(
    session: Session,
) -> None:
    world = build_2023(session)
    run = world.run(at(2023, 9, 1))
    world.obs("SQA", "2022", 20.0, date(2023, 9, 1), run)  # a revision
    world.obs("SQA", "2024", 99.0, date(2023, 9, 1), run)  # a period after the quarter
    snap = create_snapshot(session, quarter="2023Q4", created_by="test", now=at(2024, 1, 15))
    assert _by_region(snap.manifest["scores"])["SQA"]["value"] == 20.0
    periods = {o["period"] for o in snap.manifest["observations"] if o["region"] == "SQA"}
    assert periods == {"2020", "2021", "2022"}


def test_snapshot_is_immutable_and_checked_on_read(session: Session) -> None:
    build_2023(session)
    snap = create_snapshot(session, quarter="2023Q4", created_by="test", now=at(2024, 1, 15))
    assert get_snapshot(session, snapshot_id=snap.id) is snap
    snap.created_by = "someone else"
    with pytest.raises(Conflict, match="frozen"):
        session.flush()
    session.rollback()


def test_snapshot_refuses_a_quarter_that_has_not_started(session: Session) -> None:
    with pytest.raises(InvalidInput):
        create_snapshot(session, quarter="2030Q1", created_by="test", now=at(2024, 1, 15))
    with pytest.raises(InvalidInput):
        create_snapshot(session, quarter="2030Q7", created_by="test", now=at(2024, 1, 15))


def test_changes_since_the_previous_quarter(session: Session) -> None:
    world = build_2023(session)
    kept = world.alert("SQA", "2021", at(2023, 8, 1))
    gone = world.alert("SQC", "2021", at(2023, 8, 2))
    create_snapshot(session, quarter="2023Q3", created_by="test", now=at(2023, 10, 5))
    world.move(kept, at(2023, 11, 1), "triage", "escalated", "new")
    world.move(gone, at(2023, 11, 2), "state", "resolved", "firing")
    world.alert("SQB", "2022", at(2023, 12, 1))
    run = world.run(at(2023, 12, 2))
    world.obs("SQB", "2022", 50.0, date(2023, 12, 2), run)  # SQB jumps to rank 1
    snap = create_snapshot(session, quarter="2023Q4", created_by="test", now=at(2024, 1, 15))
    changes = snap.manifest["changes"]
    assert changes["previous_snapshot"] == "2023Q3"
    assert [a["region"] for a in changes["new"]] == ["SQB"]
    assert [a["region"] for a in changes["escalated"]] == ["SQA"]
    assert [a["region"] for a in changes["resolved"]] == ["SQC"]
    moves = {r["region"]: (r["previous_rank"], r["rank"]) for r in changes["ranks"]}
    assert moves["SQB"][1] < moves["SQB"][0]
