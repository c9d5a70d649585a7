"""The foundation slice end to end: real World Bank CSV -> database -> rule -> API.

`tocsin db upgrade`, then `tocsin ingest run worldbank_homicide --file <the real CSV>`:
the heat map then serves real values for 2020, and the default rule raises real alerts.
"""

from __future__ import annotations

import csv

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from backend.app import create_app
from backend.cli import app as cli
from backend.config import Environment, get_settings

CSV = "worldbank-wdi-homicide/API_VC.IHR.PSRC.P5_DS2_en_csv_v2_4355130.csv"
PASSWORD = "walking skeleton password\n"


@pytest.fixture
def loaded(shared, tmp_path, monkeypatch):
    """Yield an API client on a fresh SQLite database loaded with the real CSV by the CLI."""
    path = shared.file(CSV)
    monkeypatch.setenv("TOCSIN_DATABASE_URL", f"sqlite:///{tmp_path / 'tocsin.db'}")
    monkeypatch.setenv("TOCSIN_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    for args in (["db", "upgrade"], ["ingest", "run", "worldbank_homicide", "--file", str(path)]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output
    # Reads need a token: a viewer's, issued by the command line like the rest.
    made = runner.invoke(cli, ["users", "create", "viewer1", "--password-stdin"], input=PASSWORD)
    assert made.exit_code == 0, made.output
    issued = runner.invoke(cli, ["users", "token", "viewer1", "--name", "skeleton"])
    assert issued.exit_code == 0, issued.output
    headers = {"Authorization": f"Bearer {issued.stdout.strip().splitlines()[-1]}"}
    with TestClient(create_app(get_settings(env=Environment.test)), headers=headers) as client:
        yield client, path


def _published_2020(path) -> dict[str, float]:
    """Read the 2020 column straight from the file, independently of the parser."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))[4:]
    column = rows[0].index("2020")
    return {row[1]: float(row[column]) for row in rows[1:] if len(row) > column and row[column]}


def test_the_heat_map_serves_the_published_2020_values(loaded):
    client, path = loaded
    body = client.get("/api/v1/heatmap", params={"indicator": "homicide_rate", "period": "2020"})
    assert body.status_code == 200
    items = {item["region"]: item for item in body.json()["items"]}
    published = _published_2020(path)
    assert set(items) <= set(published)  # every country shown was published for 2020
    assert len(items) >= 90  # 2020 is a sparse year: 97 countries (and aggregates we drop)
    for code in ("MEX", "USA", "ZAF", "JPN", "BRA"):
        assert items[code]["value"] == pytest.approx(published[code])
        assert items[code]["is_demo"] is False
        assert items[code]["vintage"] == "2022-07-20"
    assert client.get("/api/v1/health").json()["demo_data"] is False


def test_the_default_rule_raises_real_alerts_with_their_reasons(loaded):
    client, _ = loaded
    # include_muted: where a higher-severity homicide alert fires too, it mutes this one.
    params = {"state": "firing", "rule": "homicide_rate_highest_5y", "include_muted": True,
              "page_size": 500}  # fmt: skip
    body = client.get("/api/v1/alerts", params=params).json()
    firing = {item["region"]: item for item in body["items"]}
    assert {"USA", "ECU"} <= set(firing)  # both set 5-year records in 2020
    assert firing["USA"]["period"] == "2020"
    assert "above the previous 5-year high" in firing["USA"]["explanation"]
    assert not any(item["is_demo"] for item in body["items"])
    history = client.get("/api/v1/alerts", params={"state": "resolved", "region": "MEX"}).json()
    assert {"2008", "2009", "2010"} <= {item["period"] for item in history["items"]}
    quiet = client.get("/api/v1/alerts", params={"region": ["JPN", "NOR", "CHE"]}).json()
    # Stable low-crime countries raise no crime alert; a missed release is a data alert.
    assert {item["rule"] for item in quiet["items"]} <= {"homicide_data_stale"}
