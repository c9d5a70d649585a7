"""Every malformed payload in tests/bad_inputs/ fails in one clear line, or quarantines its rows.

Each case runs ``tocsin ingest run SOURCE --file PATH`` on its own copy of a migrated, seeded
SQLite database; a failure must leave observations and documents untouched.
"""

from __future__ import annotations

import csv
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from backend import migrate
from backend.cli import app
from backend.db import make_engine, make_session_factory, transaction
from backend.documents.models import Document
from backend.observations.models import Observation
from backend.seed import seed_reference
from backend.sources.models import QuarantinedRow
from ingest.sources.base import FetchError
from ingest.sources.gdelt import verify_md5

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
# A Python exception class name in a message means an exception leaked through unexplained.
EXCEPTION_NAME = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception)\b|KeyError|Traceback")


@dataclass(frozen=True)
class Case:
    """One manifest line: a payload, the source that reads it, and what must happen."""

    file: str
    source: str
    expected: str
    message: str

    def __str__(self) -> str:
        """Name the case by its file (the test id)."""
        return self.file

    @property
    def path(self) -> Path:
        """Return the payload's path."""
        return CORPUS / "files" / self.file


def _cases() -> list[Case]:
    with (CORPUS / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        return [Case(**row) for row in csv.DictReader(handle)]


CASES = _cases()


@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a migrated SQLite file with regions and rules, copied for each case."""
    path = tmp_path_factory.mktemp("bad") / "seeded.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with transaction(make_session_factory(engine)) as session:
        seed_reference(session=session)
    engine.dispose()
    return path


@pytest.fixture
def db_url(seeded_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the CLI at a fresh copy of the seeded database."""
    shutil.copy(seeded_db, tmp_path / "case.db")
    url = f"sqlite:///{tmp_path / 'case.db'}"
    monkeypatch.setenv("TOCSIN_DATABASE_URL", url)
    monkeypatch.setenv("TOCSIN_DATA_DIR", str(tmp_path / "data"))
    yield url


def _counts(url: str) -> tuple[int, int, list[str]]:
    """Return (observations, documents, quarantine reasons) in the database."""
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        found = (
            session.scalar(select(func.count()).select_from(Observation)) or 0,
            session.scalar(select(func.count()).select_from(Document)) or 0,
            list(session.scalars(select(QuarantinedRow.reason))),
        )
    engine.dispose()
    return found


def test_the_corpus_is_big_enough_and_every_file_is_listed() -> None:
    listed = {case.file for case in CASES}
    on_disk = {p.name for p in (CORPUS / "files").iterdir() if p.suffix != ".md5"}
    assert listed == on_disk
    assert len(CASES) >= 30
    assert all(case.path.stat().st_size < 100_000 for case in CASES)  # the repo stays small


@pytest.mark.parametrize("case", [c for c in CASES if c.expected != "fails md5"], ids=str)
def test_bad_input_fails_cleanly_or_quarantines(case: Case, db_url: str) -> None:
    before = _counts(db_url)
    result = CliRunner().invoke(app, ["ingest", "run", case.source, "--file", str(case.path)])
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), f"{type(result.exception).__name__}: {result.exception}"
    after = _counts(db_url)
    if case.expected == "fails":
        assert result.exit_code == 1, result.stdout
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert case.message in lines[0]
        assert not EXCEPTION_NAME.search(lines[0]), lines[0]
        assert after[:2] == before[:2]
        return
    quarantined = int(case.expected.removeprefix("quarantines "))
    assert result.exit_code == 0, result.stderr
    assert len(after[2]) - len(before[2]) == quarantined
    assert case.message in result.stdout or any(case.message in r for r in after[2])
    assert not EXCEPTION_NAME.search(result.stdout + " ".join(after[2]))


@pytest.mark.parametrize("case", [c for c in CASES if c.expected == "fails md5"], ids=str)
def test_a_download_whose_md5_differs_is_refused(case: Case) -> None:
    published = case.path.with_name(case.file + ".md5").read_text().strip()
    with pytest.raises(FetchError, match=case.message):
        verify_md5(case.path.read_bytes(), published, f"http://data.gdeltproject.org/{case.file}")
