"""``tocsin rules``: validate, backtest (the JSON contract), import and evaluate."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backend import migrate
from backend.cli import app
from rules import load_rule_files, pack_path

GOOD = """
groups:
  - name: g
    rules:
      - name: meetings
        indicator: sc_meetings
        operator: threshold_above
        params: {threshold: 3}
        severity: info
        annotations: {summary: "{region}: {value:g} meetings in {period}"}
"""
BAD = """
groups:
  - name: g
    rules:
      - name: meetings
        indicator: sc_meetings
        operator: threshold_abov
        severity: loud
        annotations: {summary: "{nope}"}
"""
CONTRACT_KEYS = {"rule", "region", "period", "severity", "value", "explanation"}
runner = CliRunner()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated SQLite database holding the demo data of a few countries."""
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'tocsin.db'}"
    migrate.upgrade(url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TOCSIN_DATABASE_URL", url)
        result = runner.invoke(app, ["demo", "load", "--countries", "GNB,HND,MLI,NOR,SLV"])
        assert result.exit_code == 0, result.output
        yield url


@pytest.fixture
def on_demo_db(demo_db: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the CLI at the demo database."""
    monkeypatch.setenv("TOCSIN_DATABASE_URL", demo_db)
    return demo_db


def _write(tmp_path: Path, text: str, name: str = "rules.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_validate_ok_counts_rules_and_files(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["rules", "validate", str(_write(tmp_path, GOOD)), str(pack_path("default"))]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: ")
    assert result.stdout.strip().endswith("rules in 2 files")


def test_validate_bad_file_prints_file_line_messages(tmp_path: Path) -> None:
    bad = _write(tmp_path, BAD, "bad.yaml")
    result = runner.invoke(app, ["rules", "validate", str(bad)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines and all(line.startswith(f"{bad}:") for line in lines), lines
    assert any(":7:" in line and "threshold_abov" in line for line in lines)
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


def test_validate_missing_file_is_a_message_too(tmp_path: Path) -> None:
    result = runner.invoke(app, ["rules", "validate", str(tmp_path / "none.yaml")])
    assert result.exit_code == 1
    assert result.output.startswith(f"{tmp_path / 'none.yaml'}:1: ")


def test_validate_warns_about_indicators_outside_the_catalogue(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("sc_meetings", "my_upload"))
    result = runner.invoke(app, ["rules", "validate", str(path)])
    assert result.exit_code == 0
    assert "warning: indicator 'my_upload'" in result.stderr
    assert result.stdout == "ok: 1 rules in 1 files\n"


def test_backtest_json_prints_exactly_the_contract(on_demo_db: str) -> None:
    result = runner.invoke(app, ["rules", "backtest", "--pack", "default", "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert list(document) == ["alerts"]
    alerts = document["alerts"]
    assert alerts, "the demo surges should raise alerts"
    for alert in alerts:
        assert set(alert) == CONTRACT_KEYS
        assert isinstance(alert["value"], int | float | None)
        assert len(alert["region"]) == 3 and alert["region"].isupper()
    periods = [a["period"] for a in alerts]
    assert periods == sorted(periods)
    assert {"HND", "GNB"} <= {a["region"] for a in alerts}


def _backtest_json(*extra: str) -> list[dict[str, object]]:
    args = ["rules", "backtest", "--pack", "default", "--format", "json", *extra]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    alerts: list[dict[str, object]] = json.loads(result.stdout)["alerts"]
    return alerts


def test_backtest_as_known_then_replays_the_releases(on_demo_db: str) -> None:
    latest = _backtest_json()
    replayed = _backtest_json("--as-known-then")
    assert replayed and all(set(a) == CONTRACT_KEYS for a in replayed)
    assert all("(raised with the data published by " in str(a["explanation"]) for a in replayed)
    # The last release is today's data, so every alert of today was raised by some release.
    keys = {(a["rule"], a["region"], a["period"]) for a in replayed}
    assert {(a["rule"], a["region"], a["period"]) for a in latest} <= keys


def test_backtest_of_the_pack_includes_its_composites(on_demo_db: str) -> None:
    names = {a["rule"] for a in _backtest_json()}
    composites = {c.name for c in load_rule_files([pack_path("default")]).composites}
    assert names & composites, names


def test_backtest_years_and_own_rules(on_demo_db: str, tmp_path: Path) -> None:
    args = [
        "rules",
        "backtest",
        "--rules",
        str(_write(tmp_path, GOOD)),
        "--from",
        "2010",
        "--to",
        "2012",
        "--format",
        "json",
    ]
    alerts = json.loads(runner.invoke(app, args).stdout)["alerts"]
    assert alerts and all(
        a["rule"] == "meetings" and "2010" <= a["period"][:4] <= "2012" for a in alerts
    )


def test_backtest_bad_rules_exit_1_with_messages(on_demo_db: str, tmp_path: Path) -> None:
    bad = _write(tmp_path, BAD)
    result = runner.invoke(app, ["rules", "backtest", "--rules", str(bad), "--format", "json"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"{bad}:")


def test_backtest_table_lists_the_alerts(on_demo_db: str) -> None:
    result = runner.invoke(app, ["rules", "backtest", "--pack", "default", "--to", "2009"])
    assert result.exit_code == 0, result.output
    assert "alerts" in result.stdout and "GNB" in result.stdout


def test_import_then_evaluate(on_demo_db: str, tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    first = runner.invoke(app, ["rules", "import", str(path), "--reason", "try", "--author", "ana"])
    assert first.exit_code == 0, first.output
    assert "1 new" in first.stdout
    again = runner.invoke(app, ["rules", "import", str(path), "--reason", "again"])
    assert "0 new, 0 new versions, 1 unchanged" in again.stdout
    evaluated = runner.invoke(app, ["rules", "evaluate"])
    assert evaluated.exit_code == 0, evaluated.output
    assert evaluated.stdout.startswith("evaluated ")


def test_import_needs_files_or_a_pack(on_demo_db: str) -> None:
    result = runner.invoke(app, ["rules", "import", "--reason", "x"])
    assert result.exit_code == 1
    assert "give rule files or --pack" in result.output
