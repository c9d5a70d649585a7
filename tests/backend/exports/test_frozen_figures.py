"""Figures are frozen with the snapshot at its first export: a new renderer changes nothing."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.errors import InvalidInput
from backend.exports import service as exports
from backend.exports.service import ExportFormat, export_bytes
from backend.snapshots.models import Snapshot, SnapshotFigure
from backend.snapshots.service import create_snapshot
from tests.backend.snapshots.factory import at, build_2023


def renderer(colour: str) -> Callable[[Mapping[str, Any]], dict[str, bytes]]:
    """Return a stand-in for the Chromium renderer that paints every figure one colour."""

    def render(figures: Mapping[str, Any]) -> dict[str, bytes]:
        out = {}
        for name in figures:
            buffer = io.BytesIO()
            Image.new("RGB", (40, 20), colour).save(buffer, format="PNG")
            out[name] = buffer.getvalue()
        return out

    return render


@pytest.fixture
def snap(session: Session) -> Snapshot:
    """Return a 2023Q4 snapshot with alerts and a document, so it has figures."""
    world = build_2023(session)
    world.alert("SQA", "2022", at(2023, 11, 5), severity="critical")
    world.document("S/PV.9999", date(2023, 12, 1), "SQA")
    return create_snapshot(session, quarter="2023Q4", created_by="test", now=at(2024, 1, 15))


def test_a_later_renderer_does_not_change_the_brief(
    session: Session, snap: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "render_many", renderer("red"))
    first = export_bytes(snap, ExportFormat.pdf, session=session)
    stored = session.scalars(select(SnapshotFigure.name)).all()
    assert sorted(stored) == sorted(exports.figure_builders(snap.manifest))

    monkeypatch.setattr(exports, "render_many", renderer("blue"))  # "a year later"
    assert export_bytes(snap, ExportFormat.pdf, session=session) == first
    assert export_bytes(snap, ExportFormat.zip, session=session) == export_bytes(
        snap, ExportFormat.zip, session=session
    )
    # Without the frozen figures the same snapshot would now export differently.
    assert export_bytes(snap, ExportFormat.pdf) != first


def test_a_tampered_figure_is_refused(
    session: Session, snap: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "render_many", renderer("red"))
    export_bytes(snap, ExportFormat.pdf, session=session)
    figure = session.scalars(select(SnapshotFigure)).first()
    assert figure is not None
    figure.png = figure.png + b"\x00"
    session.flush()
    with pytest.raises(InvalidInput, match="fails its hash"):
        export_bytes(snap, ExportFormat.pdf, session=session)
