"""HTTP fetching with respx (never the live network): retries, validators, sniffing, archive."""

from __future__ import annotations

import hashlib
import json

import httpx
import pytest
import respx

from ingest.fetch import Fetcher, archive_payload
from ingest.sources.base import FetchError

URL = "https://data.example.org/file.csv"
CSV = b"a,b\n1,2\n"


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def fetcher(tmp_path, sleeps):
    with Fetcher(
        timeout=1, retries=2, validators_path=tmp_path / "validators.json", sleep=sleeps.append
    ) as f:
        yield f


@respx.mock
def test_5xx_is_retried_with_exponential_backoff(fetcher, sleeps):
    route = respx.get(URL).mock(
        side_effect=[httpx.Response(503), httpx.Response(502), httpx.Response(200, content=CSV)]
    )
    assert fetcher.get(URL).content == CSV
    assert route.call_count == 3 and sleeps == [0.5, 1.0]


@respx.mock
@pytest.mark.parametrize(
    "error",
    [httpx.ConnectTimeout("slow"), httpx.ReadTimeout("slow"), httpx.ConnectError("refused")],
)
def test_timeouts_and_connection_errors_are_retried_then_fail_in_one_line(fetcher, sleeps, error):
    route = respx.get(URL).mock(side_effect=error)
    words = "did not answer in time" if isinstance(error, httpx.TimeoutException) else "connect"
    expected = f"{words} .*after 3 attempts \\({type(error).__name__} fetching {URL}"
    with pytest.raises(FetchError, match=expected) as failure:
        fetcher.get(URL)
    assert route.call_count == 3 and len(sleeps) == 2
    assert "\n" not in str(failure.value)


@respx.mock
def test_5xx_that_persists_is_a_failure(fetcher):
    respx.get(URL).mock(return_value=httpx.Response(500))
    with pytest.raises(FetchError, match="HTTP 500 from"):
        fetcher.get(URL)


@respx.mock
@pytest.mark.parametrize("status", [400, 403, 404, 429])
def test_4xx_is_not_retried(fetcher, sleeps, status):
    route = respx.get(URL).mock(return_value=httpx.Response(status))
    with pytest.raises(FetchError, match=f"HTTP {status} from {URL}"):
        fetcher.get(URL)
    assert route.call_count == 1 and sleeps == []


@respx.mock
def test_an_html_page_is_not_data(fetcher):
    respx.get(URL).mock(
        return_value=httpx.Response(200, content=b"<!doctype html><html>Sign in</html>")
    )
    with pytest.raises(FetchError, match="returned an HTML page, not data"):
        fetcher.get(URL)


@respx.mock
def test_validators_are_sent_once_committed_and_304_means_not_modified(tmp_path, sleeps):
    headers = {"ETag": '"v1"', "Last-Modified": "Wed, 01 Jul 2025 00:00:00 GMT"}
    route = respx.get(URL).mock(
        side_effect=[httpx.Response(200, content=CSV, headers=headers), httpx.Response(304)]
    )
    path = tmp_path / "validators.json"
    with Fetcher(timeout=1, retries=0, validators_path=path, sleep=sleeps.append) as first:
        assert not first.get(URL).not_modified
        first.commit_validators()
    assert json.loads(path.read_text())[URL] == {
        "etag": '"v1"',
        "last_modified": headers["Last-Modified"],
    }
    with Fetcher(timeout=1, retries=0, validators_path=path, sleep=sleeps.append) as second:
        payload = second.get(URL)
    assert payload.not_modified and payload.content == b""
    sent = route.calls[1].request.headers
    assert sent["If-None-Match"] == '"v1"' and sent["If-Modified-Since"] == headers["Last-Modified"]


@respx.mock
def test_uncommitted_validators_are_forgotten(tmp_path):
    route = respx.get(URL).mock(
        return_value=httpx.Response(200, content=CSV, headers={"ETag": '"v1"'})
    )
    path = tmp_path / "validators.json"
    with Fetcher(timeout=1, retries=0, validators_path=path) as first:
        first.get(URL)  # the run failed afterwards: no commit
    with Fetcher(timeout=1, retries=0, validators_path=path) as second:
        second.get(URL)
    assert "If-None-Match" not in route.calls[1].request.headers
    assert not path.exists()


@respx.mock
def test_unconditional_requests_send_no_validators(tmp_path):
    path = tmp_path / "validators.json"
    path.write_text(json.dumps({URL: {"etag": '"v1"'}}))
    route = respx.get(URL).mock(return_value=httpx.Response(200, content=CSV))
    with Fetcher(timeout=1, retries=0, validators_path=path) as f:
        f.get(URL, conditional=False)
    assert "If-None-Match" not in route.calls[0].request.headers


def test_payloads_are_archived_by_sha256(tmp_path):
    digest, path = archive_payload(CSV, tmp_path)
    assert digest == hashlib.sha256(CSV).hexdigest()
    assert path == tmp_path / digest[:2] / digest and path.read_bytes() == CSV
    assert archive_payload(CSV, tmp_path) == (digest, path)
    assert [p.name for p in path.parent.iterdir()] == [digest]  # no temporary files left
