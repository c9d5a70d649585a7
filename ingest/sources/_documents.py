"""Security Council documents as parsers return them, and how their text is tagged.

Shared by ``unsc_meetings`` (the DHL meeting tables) and ``un_press`` (the press RSS). A
document's regions are the countries its topic or title names, found with the country
names of ``backend/regions/data/aliases.csv`` (kind ``name``; read once when first needed,
or passed in) plus the multi-country names of ``REGION_GROUPS``. Its crime themes come
from the keyword table ``THEMES``. Matching folds case, accents and punctuation
(``normalise_key``), takes whole words only, and prefers the longest name at each place,
so "South Sudan" is not also "Sudan", nor "Guinea-Bissau" "Guinea". Names of two letters
("US", "UK") and aggregates (``M49_*``) are not used: they match ordinary words or whole
continents. Tags are ISO3 codes, which the job resolves like any region code.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from pathlib import Path

from backend.regions.service import DATA_DIR, normalise_key
from ingest.sources._tabular import CountedResult

MEETING, RESOLUTION, PRST, PRESS, PRESS_STATEMENT = (
    "meeting", "resolution", "prst", "press", "press_statement",
)  # fmt: skip
OUTCOME_KINDS = frozenset({RESOLUTION, PRST, PRESS_STATEMENT})
UNDOCS = "https://undocs.org/en/"

# Multi-country names in Council topics, and the countries they stand for.
ECOWAS = ("BEN", "BFA", "CPV", "CIV", "GMB", "GHA", "GIN", "GNB", "LBR", "MLI", "NER", "NGA",
          "SEN", "SLE", "TGO")  # fmt: skip
ECCAS = ("AGO", "BDI", "CMR", "CAF", "TCD", "COG", "COD", "GNQ", "GAB", "STP", "RWA")
REGION_GROUPS: dict[str, tuple[str, ...]] = {
    "West Africa": ECOWAS,  # UNOWAS; ECOWAS members, the Western Africa sub-region
    "Western Africa": ECOWAS,
    "ECOWAS": ECOWAS,
    "Economic Community of West African States": ECOWAS,
    "Sahel": ("BFA", "MLI", "MRT", "NER", "TCD"),  # the G5 Sahel states
    "Lake Chad Basin": ("CMR", "NER", "NGA", "TCD"),
    "Mano River": ("CIV", "GIN", "LBR", "SLE"),
    "Gulf of Guinea": ("BEN", "CMR", "CIV", "GNQ", "GAB", "GHA", "NGA", "STP", "TGO"),
    "Central Africa": ECCAS,  # UNOCA; ECCAS members
    "Central African region": ECCAS,
    "Great Lakes": ("COD", "RWA", "UGA", "BDI", "TZA"),
    "Horn of Africa": ("DJI", "ERI", "ETH", "SOM"),
    "Darfur": ("SDN",),
    "Abyei": ("SDN", "SSD"),
    "Zaire": ("COD",),
    "Burma": ("MMR",),
    "Nagorno-Karabakh": ("ARM", "AZE"),
    "Bougainville": ("PNG",),
    "Former Yugoslavia": ("BIH", "HRV", "MKD", "MNE", "SRB", "SVN", "XKX"),
    "Yugoslavia": ("MNE", "SRB"),  # the Federal Republic of Yugoslavia (Serbia and Montenegro)
    "Palestinian question": ("ISR", "PSE"),
    # The agenda item "The situation in the Middle East" covers the Arab-Israeli conflict,
    # Lebanon, Syria (UNDOF, the civil war) and, since 2011, Yemen.
    "Middle East": ("ISR", "LBN", "PSE", "SYR", "YEM"),
    # ... except where the topic is the Palestinian question, as these spellings say.
    "Middle East, including the Palestinian question": ("ISR", "PSE"),
    "Middle East situation, including the Palestinian question": ("ISR", "PSE"),
    "Middle East problem including the Palestinian question": ("ISR", "PSE"),
    "Libyan Arab Jamahiriya": ("LBY",),
    "occupied Arab territories": ("PSE",),
    "Aouzou strip": ("LBY", "TCD"),
    "United Nations Protection Force": ("BIH", "HRV", "MKD"),  # UNPROFOR
    "Korean Peninsula": ("KOR", "PRK"),
}

# Crime themes and the words that mark them in a topic or title (whole words, folded).
THEMES: dict[str, tuple[str, ...]] = {
    "drug_trafficking": ("drug trafficking", "drugs", "drug", "narcotic", "narcotics",
                         "opium", "heroin", "cocaine", "poppy"),
    "organized_crime": ("organized crime", "organised crime", "transnational crime",
                        "criminal networks", "criminal groups", "gangs", "gang violence"),
    "piracy": ("piracy", "pirates", "armed robbery at sea", "maritime crime"),
    "arms_trafficking": ("small arms", "light weapons", "arms trafficking", "illicit arms",
                         "illicit trafficking in arms", "arms flows"),
    "human_trafficking": ("trafficking in persons", "human trafficking", "trafficking of persons",
                          "migrant smuggling", "smuggling of migrants", "slavery"),
    "natural_resources": ("natural resources", "diamonds", "illegal exploitation",
                          "conflict minerals", "charcoal", "timber", "wildlife"),
    "money_laundering": ("money laundering", "terrorist financing", "financing of terrorism",
                         "illicit financial flows", "financing of terrorist"),
    "crime_terrorism_nexus": ("terrorism and organized crime", "terrorism and transnational",
                              "links between terrorism", "nexus"),
    "sanctions": ("sanctions", "sanction", "embargo", "panel of experts", "1267"),
}  # fmt: skip


@dataclass(frozen=True)
class ParsedDocument:
    """One Council document as published: symbol, kind, date, title, link and tags."""

    symbol: str
    kind: str
    date: date | None
    title: str
    url: str | None
    meeting_symbol: str | None
    regions: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    raw: dict[str, object] = field(default_factory=dict)


@dataclass
class DocumentResult(CountedResult):
    """A parse result that also carries documents, to be stored with their tags."""

    documents: list[ParsedDocument] = field(default_factory=list)
    _index: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def add_document(self, document: ParsedDocument) -> None:
        """Add a document; one listed again (a meeting on two agenda items) merges its tags."""
        at = self._index.get(document.symbol)
        if at is None:
            self._index[document.symbol] = len(self.documents)
            self.documents.append(document)
            return
        first = self.documents[at]
        titles = (
            first.title if document.title in first.title else f"{first.title}; {document.title}"
        )
        self.documents[at] = replace(
            first,
            title=titles,
            regions=tuple(sorted({*first.regions, *document.regions})),
            themes=tuple(sorted({*first.themes, *document.themes})),
        )
        self.excluded[f"{document.kind} listed again (tags merged)"] += 1


def undocs_url(symbol: str) -> str:
    """Return the undocs.org link of a UN document symbol ("S/RES/2719 (2023)")."""
    return UNDOCS + symbol.replace(" ", "")


def read_country_names(path: Path) -> dict[str, str]:
    """Return {name: ISO3 code} from an aliases.csv (kind ``name``), countries only."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {
        row["alias"]: row["code"]
        for row in rows
        if row.get("kind") == "name" and not row["code"].startswith("M49_")
    }


@cache
def default_country_names() -> Mapping[str, str]:
    """Return the country names shipped with Tocsin (read once per process)."""
    return read_country_names(DATA_DIR / "aliases.csv")


def _pattern(phrases: Iterable[str]) -> re.Pattern[str]:
    """Compile whole-word alternatives, longest first so the longest name wins."""
    keys = sorted({normalise_key(p) for p in phrases} - {""}, key=lambda k: (-len(k), k))
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(k) for k in keys) + r")(?!\w)")


class Tagger:
    """Find the countries and crime themes a piece of text names."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self._codes: dict[str, tuple[str, ...]] = {}
        for name, code in names.items():
            key = normalise_key(name)
            if len(key) > 2:  # "US", "UK": ordinary words once case is folded
                self._codes.setdefault(key, (code,))
        for name, codes in REGION_GROUPS.items():
            self._codes[normalise_key(name)] = codes
        self._names = _pattern(self._codes)
        self._themes = {normalise_key(w): t for t, words in THEMES.items() for w in words}
        self._words = _pattern(self._themes)

    def regions(self, text: str) -> tuple[str, ...]:
        """Return the ISO3 codes of the countries the text names, sorted."""
        found = {c for m in self._names.finditer(normalise_key(text)) for c in self._codes[m[1]]}
        return tuple(sorted(found))

    def themes(self, text: str) -> tuple[str, ...]:
        """Return the crime themes the text mentions, sorted."""
        return tuple(
            sorted({self._themes[m[1]] for m in self._words.finditer(normalise_key(text))})
        )


@cache
def default_tagger() -> Tagger:
    """Return a tagger on the shipped country names (built once per process)."""
    return Tagger(default_country_names())


def tagger_for(names: Mapping[str, str] | None) -> Tagger:
    """Return a tagger on ``names``, or the shipped one when none are given."""
    return default_tagger() if names is None else Tagger(names)
