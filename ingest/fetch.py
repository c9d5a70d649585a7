"""HTTP fetching for sources: timeouts, retries with backoff, conditional requests, archiving."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import httpx

from backend.config import Settings
from backend.files import write_atomically
from ingest.sources.base import FetchError, Payload, sniff

log = logging.getLogger(__name__)

USER_AGENT = "Tocsin/0.1 (+https://github.com/tocsin; early-warning dashboard)"
VALIDATORS_FILE = "http_validators.json"
MAX_BACKOFF = 30.0
# What each transport failure means, for the one-line reason of a failed run (first match).
_TRANSPORT_WORDS: tuple[tuple[type[httpx.TransportError], str], ...] = (
    (httpx.TimeoutException, "the publisher did not answer in time"),
    (httpx.ConnectError, "could not connect to the publisher"),
    (httpx.RemoteProtocolError, "the answer broke off or was garbled"),
    (httpx.NetworkError, "the connection was dropped"),
)


class Fetcher:
    """GET with retries on timeouts, connection errors and 5xx, and remembered validators.

    Validators (ETag, Last-Modified) learnt during a run stay pending until the job calls
    ``commit_validators`` after the run succeeded: otherwise a failed run would make the
    next one see "304 not modified" and never load the data it failed to store.
    """

    def __init__(
        self,
        *,
        timeout: float,
        retries: int,
        validators_path: Path | None = None,
        client: httpx.Client | None = None,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(timeout),
            follow_redirects=True,
            headers={"User-Agent": USER_AGENT},
        )
        self._retries = retries
        self._backoff = backoff
        self._sleep = sleep
        self._path = validators_path
        self._known = _read_validators(validators_path)
        self._pending: dict[str, dict[str, str]] = {}

    def get(self, url: str, *, conditional: bool = True, accept_html: bool = False) -> Payload:
        """Return the payload at ``url``; a 304 gives an empty payload marked ``not_modified``."""
        headers = self._conditional_headers(url) if conditional else {}
        response = self._send(url, headers)
        if response.status_code == 304:
            return Payload(content=b"", url=url, not_modified=True)
        if response.status_code >= 500:
            raise FetchError(  # the meaning first: a long URL may be cut from the reason
                f"the publisher's server failed {self._attempts()}"
                f" (HTTP {response.status_code} from {url})"
            )
        if response.status_code >= 400:
            raise FetchError(f"HTTP {response.status_code} from {url}")
        content = response.content
        if not accept_html and sniff(content) == "html":
            raise FetchError(
                f"the publisher returned an HTML page, not data (a portal or error page?): {url}"
            )
        self._remember(url, response)
        return Payload(
            content=content,
            url=str(response.url),
            content_type=response.headers.get("content-type"),
        )

    def _send(self, url: str, headers: dict[str, str]) -> httpx.Response:
        """Send one GET, retrying transient failures with exponential backoff."""
        for attempt in range(self._retries + 1):
            last = attempt == self._retries
            try:
                response = self._client.get(url, headers=headers)
            except httpx.TransportError as exc:  # timeouts, refused and dropped connections
                if last:
                    raise FetchError(
                        f"{_transport_words(exc)} {self._attempts()}"
                        f" ({type(exc).__name__} fetching {url}: {exc})"
                    ) from exc
                reason = type(exc).__name__
            else:
                if response.status_code < 500 or last:
                    return response
                reason = f"HTTP {response.status_code}"
            delay = min(self._backoff * 2**attempt, MAX_BACKOFF)
            log.warning(
                "%s from %s; retry %d of %d in %.1fs",
                reason,
                url,
                attempt + 1,
                self._retries,
                delay,
            )
            self._sleep(delay)
        raise FetchError(f"no attempt was made to fetch {url}")  # only with retries < 0

    def _attempts(self) -> str:
        """Say how many times a request was tried, for failure messages."""
        tries = self._retries + 1
        return f"after {tries} attempts" if tries > 1 else "after 1 attempt (no retry)"

    def _conditional_headers(self, url: str) -> dict[str, str]:
        known = self._known.get(url, {})
        headers = {}
        if known.get("etag"):
            headers["If-None-Match"] = known["etag"]
        if known.get("last_modified"):
            headers["If-Modified-Since"] = known["last_modified"]
        return headers

    def _remember(self, url: str, response: httpx.Response) -> None:
        found = {
            "etag": response.headers.get("etag"),
            "last_modified": response.headers.get("last-modified"),
        }
        validators = {k: v for k, v in found.items() if v}
        if validators:
            self._pending[url] = validators

    def commit_validators(self) -> None:
        """Persist the validators seen in this run, so the next run can ask "modified since?"."""
        if not self._pending or self._path is None:
            return
        merged = {**_read_validators(self._path), **self._pending}
        write_atomically(self._path, json.dumps(merged, indent=1, sort_keys=True).encode())
        self._known.update(self._pending)
        self._pending.clear()

    def close(self) -> None:
        """Close the underlying HTTP client."""
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def make_fetcher(
    settings: Settings, *, timeout: float | None = None, retries: int | None = None
) -> Fetcher:
    """Build a fetcher from the settings (timeouts, retries, validators under data_dir)."""
    return Fetcher(
        timeout=timeout if timeout is not None else settings.fetch_timeout,
        retries=retries if retries is not None else settings.fetch_retries,
        validators_path=settings.data_dir / VALIDATORS_FILE,
    )


def _transport_words(exc: httpx.TransportError) -> str:
    """Say in plain words what a transport failure means."""
    for kind, words in _TRANSPORT_WORDS:
        if isinstance(exc, kind):
            return words
    return "the transfer failed"


def _read_validators(path: Path | None) -> dict[str, dict[str, str]]:
    if path is None or not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        log.warning("ignoring unreadable validators file %s", path)
        return {}
    return data if isinstance(data, dict) else {}


def archive_payload(content: bytes, payload_dir: Path) -> tuple[str, Path]:
    """Store raw bytes as ``payload_dir/<sha256[:2]>/<sha256>``; return the hash and path."""
    digest = hashlib.sha256(content).hexdigest()
    path = payload_dir / digest[:2] / digest
    if not path.exists():
        write_atomically(path, content)
    return digest, path
