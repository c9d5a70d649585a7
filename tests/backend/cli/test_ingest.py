"""``tocsin ingest``: run, list and probe, through the real command line (CliRunner)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import httpx
import pytest
import respx
from typer.testing import CliRunner

from backend import migrate
from backend.cli import app

WB_CSV = "worldbank-wdi-homicide/API_VC.IHR.PSRC.P5_DS2_en_csv_v2_4355130.csv"
API = r"^https://api\.worldbank\.org/v2/country/all/indicator/VC\.IHR\.PSRC\.P5\?"
SUMMARY = re.compile(
    r"^worldbank_homicide: read (\d+), inserted (\d+), revised (\d+), unchanged (\d+), "
    r"quarantined (\d+), dropped (\d+) aggregates(?:, same payload as run \d+: not parsed again)?"
    r" \(run (\d+), \d+\.\d s\)$"
)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def env(template, tmp_path) -> dict[str, str]:
    shutil.copyfile(template, tmp_path / "cli.db")
    return {
        "TOCSIN_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "TOCSIN_DATA_DIR": str(tmp_path / "data"),
    }


@pytest.fixture
def tocsin(env):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, ["ingest", *args], env=env)

    return invoke


def test_run_the_real_csv_then_again_reports_everything_unchanged(tocsin, shared):
    path = str(shared.file(WB_CSV))
    first = tocsin("run", "worldbank_homicide", "--file", path)
    assert first.exit_code == 0, first.output
    read, inserted, revised, unchanged, quarantined, dropped, run = map(
        int, SUMMARY.match(first.stdout.strip()).groups()
    )
    assert (read, revised, unchanged, quarantined, run) == (3888, 0, 0, 0, 1)
    assert inserted + dropped == read
    second = tocsin("run", "worldbank_homicide", "--file", path)
    assert second.exit_code == 0, second.output
    again = SUMMARY.match(second.stdout.strip()).groups()
    assert tuple(map(int, again)) == (3888, 0, 0, inserted, 0, dropped, 2)
    assert "same payload as run 1: not parsed again" in second.stdout
    forced = tocsin("run", "worldbank_homicide", "--file", path, "--force")
    forced_counts = tuple(map(int, SUMMARY.match(forced.stdout.strip()).groups()))
    assert forced_counts == (3888, 0, 0, inserted, 0, dropped, 3)
    assert "not parsed again" not in forced.stdout


def test_a_dry_run_says_so_and_keeps_nothing(tocsin, shared):
    result = tocsin("run", "worldbank_homicide", "--file", str(shared.file(WB_CSV)), "--dry-run")
    assert result.exit_code == 0 and result.stdout.strip().endswith("[dry run: rolled back]")
    listed = tocsin("list")
    assert "never run" in listed.output


def test_an_html_page_saved_as_csv_exits_1_with_one_line(tocsin, tmp_path):
    page = tmp_path / "homicide.csv"
    page.write_text("<!DOCTYPE html>\n<html><body>Please enable JavaScript</body></html>\n")
    result = tocsin("run", "worldbank_homicide", "--file", str(page))
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0
    assert (
        "error: worldbank_homicide: failed: homicide.csv is an HTML page, not data" in result.stderr
    )


def test_an_unknown_source_exits_1(tocsin):
    result = tocsin("run", "nope")
    assert result.exit_code == 1
    assert "unknown source 'nope' (known: " in result.stderr
    assert "worldbank_homicide" in result.stderr


def test_list_shows_sources_schedules_and_the_last_run(tocsin, tmp_path):
    page = tmp_path / "page.csv"
    page.write_text("<html></html>")
    tocsin("run", "worldbank_homicide", "--file", str(page))
    result = tocsin("list")
    assert result.exit_code == 0
    flat = " ".join(result.output.split())
    for text in ("worldbank_homicide", "30 4 * * 1", "failed", "page.csv is an"):
        assert text in flat


@respx.mock
def test_probe_exits_1_when_no_live_source_answers(tocsin):
    respx.get(url__regex=API).mock(side_effect=httpx.ConnectError("network is unreachable"))
    result = tocsin("probe")
    assert result.exit_code == 1
    assert "worldbank_homicide: unreachable" in result.stderr
    assert "no live source could be ingested" in result.stderr
    assert "never run" in tocsin("list").output  # an unreachable probe leaves no failed run behind


@respx.mock
def test_probe_ingests_a_live_source_that_answers(tocsin):
    page = (
        b'[{"page":1,"pages":1,"per_page":20000,"total":1,"sourceid":"2","lastupdated":"2025-07-01"},'
        b'[{"indicator":{"id":"VC.IHR.PSRC.P5","value":"Intentional homicides"},'
        b'"country":{"id":"CA","value":"Canada"},"countryiso3code":"CAN","date":"2020","value":1.97,'
        b'"unit":"","obs_status":"","decimal":1}]]'
    )
    respx.get(url__regex=API).mock(return_value=httpx.Response(200, content=page))
    result = tocsin("probe")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("worldbank_homicide: read 1, inserted 1")


def test_list_shows_every_source_of_the_issue(tocsin):
    flat = " ".join(tocsin("list").output.split())
    for source in ("unodc_seizures", "unsc_meetings", "un_press", "gdelt_events", "csv_upload"):
        assert source in flat


def test_a_run_prints_only_its_summary_on_stdout_with_documents_counted(tocsin, shared):
    path = shared.file("unsc/dhl-meeting-tables-html/scact2011_table_en.html")
    result = tocsin("run", "unsc_meetings", "--file", str(path))
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.strip().splitlines()
    assert re.match(r"^unsc_meetings: read \d+, inserted \d+, .*, documents \d+ \(new \d+", line)
