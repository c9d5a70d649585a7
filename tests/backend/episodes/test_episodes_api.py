"""Reference episodes over the API: CRUD, filters and pages, CSV import, audit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.rules.models import ReferenceEpisode
from backend.users.models import AuditEntry

# client and people are fixtures, found by pytest in this module's namespace.
from tests.backend.api._people import Person, client_fixture, people_fixture  # noqa: F401

API = "/api/v1/episodes"
EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "reference-episodes-example.csv"
HEADER = "region,onset_period,label,theme,note\n"


def _post(client: TestClient, people: dict[str, Person], body: dict[str, Any]) -> Any:
    return client.post(API, json=body, headers=people["analyst"].headers())


def _upload(client: TestClient, people: dict[str, Person], text: str) -> Any:
    files = {"file": ("episodes.csv", text.encode(), "text/csv")}
    return client.post(f"{API}/import", files=files, headers=people["analyst"].headers())


def _actions(session: Session) -> list[str]:
    query = select(AuditEntry.action).where(AuditEntry.entity == "episode")
    return list(session.scalars(query.order_by(AuditEntry.id)))


def test_create_resolves_an_alias_and_audits(
    client: TestClient, session: Session, people: dict[str, Person], geography: dict[str, int]
) -> None:
    body = {"region": "honduras", "onset_period": "2008", "label": "HND surge",
            "theme": "homicide"}  # fmt: skip
    response = _post(client, people, body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["region"], created["region_name"]) == ("HND", "Honduras")
    assert (created["created_by"], created["note"]) == ("analyst1", None)
    [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "episode.create"))
    assert entry.after and entry.after["region"] == "HND" and entry.entity_id == str(created["id"])


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"region": "Atlantis", "onset_period": "2008", "label": "x"}, "region"),
        ({"region": "HND", "onset_period": "2008-02-30", "label": "x"}, "onset_period"),
        ({"region": "HND", "onset_period": "08", "label": "x"}, "onset_period"),
        ({"region": "HND", "onset_period": "2008", "label": " "}, "label"),
        ({"region": "HND", "onset_period": "2008", "label": "x", "extra": 1}, "extra"),
    ],
)
def test_create_refuses_bad_input(
    client: TestClient, people: dict[str, Person], geography: dict[str, int],
    body: dict[str, Any], where: str,
) -> None:  # fmt: skip
    response = _post(client, people, body)
    assert response.status_code == 422, response.text
    assert where in response.text


def test_list_filters_and_pages(
    client: TestClient, people: dict[str, Person], geography: dict[str, int]
) -> None:
    rows = [("MEX", "2017", "homicide"), ("HND", "2008", "homicide"),
            ("MEX", "2008", "homicide"), ("GNB", "2005", "drugs")]  # fmt: skip
    for region, onset, theme in rows:
        body = {"region": region, "onset_period": onset, "label": "e", "theme": theme}
        _post(client, people, body)
    viewer = people["viewer"].headers()
    page = client.get(API, params={"page_size": 2}, headers=viewer).json()
    assert page["total"] == 4 and [(i["region"], i["onset_period"]) for i in page["items"]] == [
        ("GNB", "2005"), ("HND", "2008")
    ]  # fmt: skip
    second = client.get(API, params={"page_size": 2, "page": 2}, headers=viewer).json()
    assert [(i["region"], i["onset_period"]) for i in second["items"]] == [
        ("MEX", "2008"), ("MEX", "2017")
    ]  # fmt: skip
    mex = client.get(API, params={"region": "mex"}, headers=viewer).json()
    assert mex["total"] == 2
    drugs = client.get(API, params={"theme": "drugs"}, headers=viewer).json()
    assert [i["region"] for i in drugs["items"]] == ["GNB"]
    download = client.get(API, params={"format": "csv", "page_size": 1}, headers=viewer)
    lines = download.text.splitlines()
    assert download.headers["content-type"].startswith("text/csv") and len(lines) == 5
    assert lines[0].startswith("id,region,region_name,onset_period,label,theme")


def test_put_patch_delete_round_trip(
    client: TestClient, session: Session, people: dict[str, Person], geography: dict[str, int]
) -> None:
    analyst = people["analyst"].headers()
    created = _post(client, people, {"region": "MEX", "onset_period": "2008", "label": "a",
                                     "theme": "homicide", "note": "n"}).json()  # fmt: skip
    url = f"{API}/{created['id']}"
    patched = client.patch(url, json={"label": "b", "note": None}, headers=analyst).json()
    assert (patched["label"], patched["note"], patched["theme"]) == ("b", None, "homicide")
    replaced = client.put(url, json={"region": "El Salvador", "onset_period": "2015",
                                     "label": "c"}, headers=analyst).json()  # fmt: skip
    assert (replaced["region"], replaced["onset_period"], replaced["theme"]) == (
        "SLV",
        "2015",
        None,
    )
    assert client.patch(url, json={"label": None}, headers=analyst).status_code == 422
    assert client.get(url, headers=people["viewer"].headers()).json()["label"] == "c"
    assert client.delete(url, headers=analyst).status_code == 204
    assert client.get(url, headers=analyst).status_code == 404
    assert client.delete(url, headers=analyst).status_code == 404
    assert _actions(session) == [
        "episode.create", "episode.update", "episode.update", "episode.delete"
    ]  # fmt: skip


def test_viewer_cannot_write(
    client: TestClient, people: dict[str, Person], geography: dict[str, int]
) -> None:
    body = {"region": "HND", "onset_period": "2008", "label": "x"}
    assert client.post(API, json=body, headers=people["viewer"].headers()).status_code == 403
    assert client.post(API, json=body).status_code == 401


def test_import_of_the_example_file_stores_every_row(
    client: TestClient, session: Session, people: dict[str, Person], reference: dict[str, int]
) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    response = _upload(client, people, text)
    assert response.status_code == 201, response.text
    rows = len(text.strip().splitlines()) - 1
    assert response.json()["imported"] == rows
    assert {i["region"] for i in response.json()["items"]} >= {"HND", "SLV", "KGZ", "MEX"}
    assert session.scalar(select(func.count(ReferenceEpisode.id))) == rows
    assert _actions(session) == ["episode.import"]


def test_import_reports_every_bad_line_and_stores_nothing(
    client: TestClient, session: Session, people: dict[str, Person], geography: dict[str, int]
) -> None:
    text = HEADER + (
        "HND,2008,good,homicide,\n"
        "Atlantis,2008,unknown place,,\n"
        "\n"
        "MEX,2008-13,bad month,,\n"
        'SLV,2015,"a label, quoted",homicide,"note, with comma"\n'
        "GTM,2010,,,\n"
        "URY,2018,too,many,values,here\n"
    )
    response = _upload(client, people, text)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == "urn:tocsin:problem:invalid-input"
    assert [(e["line"], e["loc"][2:], e["type"]) for e in problem["errors"]] == [
        (3, ["region"], "unknown_region"), (5, ["onset_period"], "string_pattern_mismatch"),
        (7, ["label"], "string_too_short"), (8, [], "too_many_values"),
    ]  # fmt: skip
    assert "nothing was imported" in problem["detail"]
    assert session.scalar(select(func.count(ReferenceEpisode.id))) == 0


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("region,label\nHND,x\n", "missing column 'onset_period'"),
        (HEADER.replace("note", "notes") + "HND,2008,x,,\n", "unknown column 'notes'"),
        (HEADER, "no episodes"),
        ("", "missing column 'region'"),
    ],
)
def test_import_refuses_a_bad_header_or_an_empty_file(
    client: TestClient, people: dict[str, Person], geography: dict[str, int],
    text: str, fragment: str,
) -> None:  # fmt: skip
    response = _upload(client, people, text)
    assert response.status_code == 422 and fragment in response.text, response.text


def test_import_refuses_a_file_that_is_not_utf8(
    client: TestClient, people: dict[str, Person], geography: dict[str, int]
) -> None:
    files = {"file": ("e.csv", (HEADER + "Curaçao,2008,x,,\n").encode("latin-1"), "text/csv")}
    response = client.post(f"{API}/import", files=files, headers=people["analyst"].headers())
    assert response.status_code == 422 and "UTF-8" in response.text
