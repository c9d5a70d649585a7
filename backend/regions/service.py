"""Reference geography: load the shipped region tables, and resolve what publishers write."""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from backend.regions.models import Region, RegionAlias

DATA_DIR = Path(__file__).resolve().parent / "data"
REGION_COLUMNS = (
    "code", "m49", "name", "level", "parent_code", "region_code", "subregion_code",
    "intermediate_code", "iso2", "fips", "sids", "ldc", "lldc", "lat", "lon",
)  # fmt: skip
LINK_COLUMNS = {
    "parent_code": "parent_id",
    "region_code": "region_id",
    "subregion_code": "subregion_id",
    "intermediate_code": "intermediate_id",
}
COUNTRY_LEVELS = frozenset({"country", "area"})
# FIPS 10-4 and ISO 3166 alpha-2 reuse the same two letters for different countries
# (AU is Austria in FIPS, Australia in ISO), so FIPS keys live in their own namespace.
FIPS_PREFIX = "fips:"
_PUNCTUATION = re.compile(r"[^\w]+")


class RegionDataError(Exception):
    """The reference files are missing, malformed or ambiguous."""


def normalise_key(text: str) -> str:
    """Fold case, accents, punctuation and spacing so spellings of one name meet."""
    text = text.replace("\u2019", "'").replace("&", " and ")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_PUNCTUATION.sub(" ", stripped.casefold()).replace("_", " ").split())


def alias_key(alias: str, kind: str) -> str:
    """Return the lookup key of an alias, FIPS codes in their own namespace."""
    key = normalise_key(alias)
    return FIPS_PREFIX + key if kind == "fips" else key


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        raise RegionDataError(f"reference file {path} is missing")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [{k: (v or "").strip() for k, v in row.items() if k} for row in csv.DictReader(fh)]


def _flag(value: str) -> bool:
    return value.strip().lower() in ("true", "1", "x", "yes")


def _number(value: str) -> float | None:
    return float(value) if value else None


def _region_values(row: dict[str, str]) -> dict[str, object]:
    """Map one regions.csv row to Region column values (links are set in a second pass)."""
    return {
        "code": row["code"],
        "m49": int(row["m49"]) if row.get("m49") else None,
        "name": row["name"],
        "level": row["level"],
        "iso2": row.get("iso2") or None,
        "fips": row.get("fips") or None,
        "sids": _flag(row.get("sids", "")),
        "ldc": _flag(row.get("ldc", "")),
        "lldc": _flag(row.get("lldc", "")),
        "lat": _number(row.get("lat", "")),
        "lon": _number(row.get("lon", "")),
    }


def _code_ids(session: Session) -> dict[str, int]:
    return {row.code: row.id for row in session.execute(select(Region.code, Region.id))}


def _upsert_regions(session: Session, rows: list[dict[str, str]]) -> dict[str, int]:
    """Insert or update every region by code in bulk, then set the hierarchy links."""
    existing = _code_ids(session)
    values = [_region_values(row) for row in rows]
    new = [v for v in values if v["code"] not in existing]
    changed = [{"id": existing[str(v["code"])], **v} for v in values if v["code"] in existing]
    if new:
        session.execute(insert(Region), new)
    if changed:
        session.execute(update(Region), changed)
    ids = _code_ids(session)
    links = []
    for row in rows:
        link: dict[str, object] = {"id": ids[row["code"]]}
        for column, attribute in LINK_COLUMNS.items():
            target = row.get(column, "")
            if target and target not in ids:
                raise RegionDataError(f"region {row['code']}: {column} {target!r} is not a region")
            link[attribute] = ids[target] if target else None
        links.append(link)
    session.execute(update(Region), links)
    return ids


def _own_aliases(row: dict[str, str]) -> Iterator[tuple[str, str]]:
    """Yield (alias, kind) for a region's own code, name, M49, ISO2 and FIPS."""
    country = row["level"] in COUNTRY_LEVELS and len(row["code"]) == 3
    yield row["code"], "iso3" if country else "code_variant"
    yield row["name"], "name"
    if row.get("m49"):
        yield f"{int(row['m49']):03d}", "m49"
        yield str(int(row["m49"])), "m49"
    if row.get("iso2"):
        yield row["iso2"], "iso2"
    if row.get("fips"):
        yield row["fips"], "fips"


def _wanted_aliases(
    regions: list[dict[str, str]], aliases: list[dict[str, str]]
) -> dict[str, tuple[str, str, str]]:
    """Return key -> (code, alias, kind); refuse a key that two regions claim."""
    wanted: dict[str, tuple[str, str, str]] = {}
    clashes: list[str] = []
    own = ((row["code"], alias, kind) for row in regions for alias, kind in _own_aliases(row))
    listed = ((row["code"], row["alias"], row["kind"]) for row in aliases)
    for code, alias, kind in (*own, *listed):
        key = alias_key(alias, kind)
        if not key:
            continue
        claimed = wanted.setdefault(key, (code, alias, kind))
        if claimed[0] != code:
            clashes.append(f"{alias!r} ({kind}) -> {claimed[0]} and {code}")
    if clashes:
        shown = "; ".join(clashes[:10])
        raise RegionDataError(f"{len(clashes)} aliases map to two regions: {shown}")
    return wanted


def _sync_aliases(
    session: Session, wanted: dict[str, tuple[str, str, str]], ids: dict[str, int]
) -> None:
    """Insert new aliases and repoint changed ones, in bulk."""
    existing = {row.key: row for row in session.execute(select(RegionAlias.id, RegionAlias.key))}
    new, changed = [], []
    for key, (code, text, kind) in wanted.items():
        if code not in ids:
            raise RegionDataError(f"alias {text!r} names unknown region {code!r}")
        values = {"region_id": ids[code], "alias": text, "key": key, "kind": kind}
        if key in existing:
            changed.append({"id": existing[key].id, **values})
        else:
            new.append(values)
    if new:
        session.execute(insert(RegionAlias), new)
    if changed:
        session.execute(update(RegionAlias), changed)


def load_reference(session: Session, *, data_dir: Path | None = None) -> int:
    """Upsert every region and alias of the reference files; return the number of regions."""
    folder = data_dir or DATA_DIR
    regions = _read_csv(folder / "regions.csv")
    aliases = _read_csv(folder / "aliases.csv") if (folder / "aliases.csv").exists() else []
    missing = [c for c in ("code", "name", "level") if regions and c not in regions[0]]
    if missing or not regions:
        raise RegionDataError(f"{folder / 'regions.csv'} lacks rows or columns {missing}")
    wanted = _wanted_aliases(regions, aliases)
    ids = _upsert_regions(session, regions)
    _sync_aliases(session, wanted, ids)
    session.flush()
    return len(regions)


def ensure_reference(session: Session, *, data_dir: Path | None = None) -> int:
    """Load the reference regions when the region table is empty; return how many were loaded."""
    if session.scalar(select(func.count(Region.id))):
        return 0
    return load_reference(session, data_dir=data_dir)


@dataclass(frozen=True)
class RegionInfo:
    """What the resolver knows about one region."""

    id: int
    code: str
    level: str

    @property
    def is_country(self) -> bool:
        """Tell whether the region is a country or area rather than an aggregate."""
        return self.level in COUNTRY_LEVELS


class RegionResolver:
    """Map codes and names to region ids with dictionary lookups (built once per run)."""

    def __init__(self, regions: list[RegionInfo], aliases: dict[str, int], m49: dict[int, int]):
        self._by_id = {region.id: region for region in regions}
        self._by_code = {region.code.upper(): region.id for region in regions}
        self._aliases = aliases
        self._m49 = m49

    @classmethod
    def from_session(cls, session: Session) -> RegionResolver:
        """Build a resolver from the region and alias tables in two queries."""
        rows = session.execute(select(Region.id, Region.code, Region.level, Region.m49)).all()
        regions = [RegionInfo(id=r.id, code=r.code, level=r.level) for r in rows]
        # A country and an aggregate never share an M49 number; countries win if they ever do.
        ranked = sorted(rows, key=lambda r: r.level in COUNTRY_LEVELS)
        m49 = {r.m49: r.id for r in ranked if r.m49 is not None}
        query = select(RegionAlias.key, RegionAlias.region_id)
        aliases = {row.key: row.region_id for row in session.execute(query)}
        return cls(regions, aliases, m49)

    def resolve(self, value: str | int | None) -> int | None:
        """Return the region id for an ISO3 or Tocsin code, an M49 number or an alias."""
        if value is None:
            return None
        text = str(value).strip()
        if not text:
            return None
        found = self._by_code.get(text.upper())
        if found is not None:
            return found
        if text.isdigit():
            return self._m49.get(int(text))
        return self._aliases.get(normalise_key(text))

    def resolve_fips(self, value: str | None) -> int | None:
        """Return the region id for a FIPS 10-4 country code (GDELT's geography)."""
        if not value or not value.strip():
            return None
        return self._aliases.get(FIPS_PREFIX + normalise_key(value))

    def info(self, region_id: int) -> RegionInfo:
        """Return the code and level of a resolved region."""
        return self._by_id[region_id]

    def __len__(self) -> int:
        return len(self._by_id)
