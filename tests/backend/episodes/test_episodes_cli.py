"""``tocsin episodes import`` and ``list`` on a fresh database of each kind."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from backend.cli import app

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "reference-episodes-example.csv"
runner = CliRunner()


def test_import_refuses_bad_lines_then_imports_and_lists(
    blank_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOCSIN_DATABASE_URL", blank_database_url)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("region,onset_period,label\nHND,2008,ok\nAtlantis,2008,x\nMEX,20081,y\n")
    refused = runner.invoke(app, ["episodes", "import", str(bad)])
    assert refused.exit_code == 1
    assert f"{bad}:3 (region): unknown region 'Atlantis'" in refused.output
    assert f"{bad}:4 (onset_period):" in refused.output
    assert "nothing was imported" in refused.output
    imported = runner.invoke(app, ["episodes", "import", str(EXAMPLE)])
    assert imported.exit_code == 0, imported.output
    rows = len(EXAMPLE.read_text(encoding="utf-8").strip().splitlines()) - 1
    assert f"imported {rows} reference episodes" in imported.output
    listed = runner.invoke(app, ["episodes", "list", "--region", "MEX"])
    assert listed.exit_code == 0, listed.output
    assert "2008" in listed.output and "2017" in listed.output and "HND" not in listed.output
    assert runner.invoke(app, ["episodes", "list", "--region", "not a code"]).exit_code == 1
