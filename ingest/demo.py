"""The demo dataset: plausible, deterministic, clearly synthetic observations.

Pure: countries and a "present" date in, rows out; it never reads the clock, a file or
the database. Each country draws from its own generators, seeded from the dataset seed
and a SHA-256 of its ISO3 code and of the series family (never Python's ``hash()``), so
adding a country or a family changes nobody else's numbers. The same seed and present
give the same rows, in the same order.

What it makes, per country:

- ``homicide_rate`` and ``homicide_count``, yearly from 1995 to the year before
  present: a log-normal level by M49 sub-region (Latin America, the Caribbean and
  Southern Africa high; Western Europe and East Asia low), a slow trend and AR(1) drift;
  the count is a Poisson draw from rate x population (a fixed order of magnitude per
  country), and the rate is recomputed from the count, so small countries are as noisy
  as real ones. About one country in ten publishes nothing, some start late or skip
  years. Named surges (``HOMICIDE_SURGES``) are large enough to beat the previous five
  years' high by far more than any default floor or margin.
- ``seizures_<group>_kg`` for the six drug groups: sparse (a country seizes a few
  groups and reports in about two years out of three), heavy-tailed, new psychoactive
  substances only from 2009, plus ``seizure_drug_groups``, the number of groups seized
  that year. ``EMERGENCES`` make a group appear for the first time in a few countries.
- ``sc_meetings``, ``sc_outcomes`` and ``sc_crime_outcomes``, quarterly from 1995Q1 to
  the last complete quarter, only for countries on the Council's agenda
  (``COUNCIL_AGENDA``), zeros included; a country the Council never discussed has no
  rows rather than 120 zeros per series, which keeps the load small.
- ``gdelt_crime_events``, daily for the last ``DAILY_DAYS`` days only: GDELT 2.0 starts
  in 2015 and three years are enough for daily rules and charts, while 30 years of
  daily rows would be 2.7 million rows and make ``tocsin demo load`` take minutes
  instead of seconds. ``DAILY_SURGES`` are placed relative to present so recent daily
  alerts always exist.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from ingest.indicators import DRUG_GROUPS

DEFAULT_SEED = 20_070_815
FIRST_YEAR = 1995
DAILY_DAYS = 3 * 365

FloatArray = npt.NDArray[np.float64]

# Median homicide rate per 100,000 by M49 intermediate region or sub-region code.
HOMICIDE_MEDIANS = {
    "M49_013": 22.0,  # Central America
    "M49_029": 12.0,  # Caribbean
    "M49_005": 16.0,  # South America
    "M49_018": 28.0,  # Southern Africa
    "M49_011": 7.0,  # Western Africa
    "M49_017": 9.0,  # Middle Africa
    "M49_014": 6.5,  # Eastern Africa
    "M49_015": 2.5,  # Northern Africa
    "M49_021": 3.5,  # Northern America
    "M49_155": 0.9,  # Western Europe
    "M49_154": 1.1,  # Northern Europe
    "M49_039": 1.0,  # Southern Europe
    "M49_151": 5.0,  # Eastern Europe
    "M49_030": 0.7,  # Eastern Asia
    "M49_035": 2.8,  # South-eastern Asia
    "M49_034": 3.2,  # Southern Asia
    "M49_143": 4.0,  # Central Asia
    "M49_145": 2.5,  # Western Asia
    "M49_053": 1.0,  # Australia and New Zealand
    "M49_054": 8.0,  # Melanesia
    "M49_057": 4.0,  # Micronesia
    "M49_061": 3.0,  # Polynesia
}
DEFAULT_MEDIAN = 4.0

# Multipliers on the homicide rate by year: the episodes the demo alerts should find.
HOMICIDE_SURGES: dict[str, dict[int, float]] = {
    "GNB": {2007: 1.8, 2008: 2.6, 2009: 2.4, 2010: 1.6},  # West African cocaine transit
    "HND": {2008: 1.5, 2009: 2.0, 2010: 2.4, 2011: 2.7, 2012: 2.3},  # Central America
    "SLV": {2014: 1.6, 2015: 2.3, 2016: 1.8},  # Central America, gang truce collapse
    "MLI": {2012: 2.2, 2013: 2.8, 2014: 2.0},  # Sahel
    "BFA": {2019: 1.9, 2020: 2.5, 2021: 2.9, 2022: 2.6},  # Sahel
    "MEX": {2008: 1.6, 2009: 2.0, 2010: 2.5, 2011: 2.6},
    "ECU": {2021: 1.7, 2022: 2.6, 2023: 3.6},
}
# Surge countries get a plausible population so the surge is not lost in Poisson noise.
POPULATION_HINTS = {
    "GNB": 1.6e6, "HND": 8.0e6, "SLV": 6.2e6, "MLI": 1.6e7,
    "BFA": 1.8e7, "MEX": 1.1e8, "ECU": 1.6e7,
}  # fmt: skip

# Territories with nobody living there get no rows; micro-states and small territories
# get populations of a few thousand, so their rates are as jumpy as real ones.
UNINHABITED = frozenset({"ATA", "ATF", "BVT", "HMD", "IOT", "SGS", "UMI"})
MICROSTATES = frozenset({
    "AIA", "ALA", "AND", "ASM", "BES", "BLM", "BMU", "CCK", "COK", "CXR", "CYM", "DMA",
    "FLK", "FRO", "GIB", "GRL", "IMN", "KNA", "LIE", "MAF", "MCO", "MHL", "MNP", "MSR",
    "NFK", "NIU", "NRU", "PCN", "PLW", "SHN", "SJM", "SMR", "SPM", "SXM", "TCA", "TKL",
    "TUV", "VAT", "VGB", "WLF",
})  # fmt: skip

SEIZURE_REPORTING = {
    "cannabis": 0.85, "cocaine": 0.40, "opioids": 0.45,
    "ats": 0.45, "nps": 0.15, "other": 0.30,
}  # fmt: skip
COCAINE_ROUTES = {"M49_419", "M49_021", "M49_155", "M49_039", "M49_011"}
NPS_FROM = 2009
# (country, group) -> first year: the group is never seized there before that year.
EMERGENCES = {("GNB", "cocaine"): 2006, ("MLI", "cocaine"): 2008, ("KEN", "ats"): 2016}

# Countries on the Security Council agenda: (first year, last year or None, meetings per
# quarter while on the agenda, share of outcomes with a crime theme).
COUNCIL_AGENDA: dict[str, tuple[int, int | None, float, float]] = {
    "AFG": (2001, None, 3.0, 0.35), "IRQ": (2003, None, 3.0, 0.10),
    "SYR": (2011, None, 4.5, 0.05), "SOM": (1995, None, 2.5, 0.35),
    "SDN": (2004, None, 3.0, 0.10), "SSD": (2011, None, 2.5, 0.10),
    "COD": (1998, None, 3.0, 0.25), "CAF": (2013, None, 2.0, 0.20),
    "MLI": (2012, None, 2.5, 0.35), "LBY": (2011, None, 2.5, 0.40),
    "YEM": (2011, None, 2.5, 0.15), "HTI": (2004, None, 2.0, 0.45),
    "GNB": (2005, 2020, 1.5, 0.60), "LBR": (1995, 2016, 2.0, 0.30),
    "SLE": (1997, 2014, 2.0, 0.30), "CIV": (2002, 2017, 2.0, 0.15),
    "BIH": (1995, None, 1.2, 0.05), "XKX": (1999, None, 1.2, 0.15),
    "TLS": (1999, 2012, 1.5, 0.05), "MMR": (2017, None, 1.0, 0.20),
    "UKR": (2014, None, 3.0, 0.05), "PSE": (1995, None, 2.5, 0.02),
    "PRK": (2006, None, 1.0, 0.10), "COL": (2016, None, 1.5, 0.40),
    "ERI": (1998, 2008, 1.0, 0.05), "BDI": (2000, 2020, 1.2, 0.10),
    "AGO": (1995, 2003, 1.5, 0.20), "CYP": (1995, None, 0.7, 0.00),
}  # fmt: skip

# Daily GDELT surges: (country, days before present it starts, length in days, factor).
DAILY_SURGES = (
    ("HTI", 50, 21, 3.5),
    ("ECU", 320, 14, 4.0),
    ("SDN", 700, 30, 3.0),
    ("MEX", 160, 10, 2.5),
)


@dataclass(frozen=True)
class DemoCountry:
    """A country the demo covers, with its M49 sub-region and intermediate region codes."""

    code: str
    subregion: str | None = None
    intermediate: str | None = None


class DemoRow(NamedTuple):
    """One demo observation."""

    indicator: str
    region: str
    period: str
    period_start: date
    value: float


@dataclass(frozen=True)
class _Calendar:
    years: list[int]
    quarters: list[tuple[str, date]]
    days: list[tuple[str, date]]


def _stable(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _rng(seed: int, country: str, family: str) -> np.random.Generator:
    """Return the generator of one country's series family."""
    return np.random.default_rng(np.random.SeedSequence([seed, _stable(country), _stable(family)]))


def _calendar(present: date) -> _Calendar:
    years = list(range(FIRST_YEAR, present.year))
    last_quarter = (present.month - 1) // 3  # complete quarters this year
    quarters = [
        (f"{year}Q{q}", date(year, 3 * q - 2, 1))
        for year in range(FIRST_YEAR, present.year + 1)
        for q in range(1, 5)
        if year < present.year or q <= last_quarter
    ]
    first_day = present - timedelta(days=DAILY_DAYS)
    days = [(d.isoformat(), d) for d in (first_day + timedelta(n) for n in range(DAILY_DAYS))]
    return _Calendar(years, quarters, days)


def _median(country: DemoCountry) -> float:
    for code in (country.intermediate, country.subregion):
        if code in HOMICIDE_MEDIANS:
            return HOMICIDE_MEDIANS[code]
    return DEFAULT_MEDIAN


def _population(country: DemoCountry, rng: np.random.Generator, years: Sequence[int]) -> FloatArray:
    if country.code in MICROSTATES:
        drawn = float(10 ** rng.uniform(3.0, 5.0))
    else:
        drawn = float(10 ** np.clip(rng.normal(6.7, 0.9), 5.0, 9.1))
    start = POPULATION_HINTS.get(country.code, drawn)
    growth = float(rng.uniform(0.0, 0.025))
    elapsed = np.asarray(years, dtype=np.float64) - FIRST_YEAR
    return np.asarray(start * (1 + growth) ** elapsed, dtype=np.float64)


def _ar1(rng: np.random.Generator, n: int, phi: float, sd: float) -> FloatArray:
    shocks = rng.normal(0.0, sd, n)
    out = np.empty(n)
    level = 0.0
    for i in range(n):
        level = phi * level + shocks[i]
        out[i] = level
    return out


def _reported_years(
    country: DemoCountry, rng: np.random.Generator, n: int
) -> npt.NDArray[np.bool_]:
    """Return which years a country published: some never, some late, some with gaps."""
    silent, late, start = rng.random() < 0.10, rng.random() < 0.25, rng.integers(1, 12)
    reported = rng.random(n) > 0.06
    if country.code in HOMICIDE_SURGES:
        return np.ones(n, dtype=bool)
    if silent:
        return np.zeros(n, dtype=bool)
    if late:
        reported[:start] = False
    return reported


def _homicide(country: DemoCountry, seed: int, cal: _Calendar) -> Iterator[DemoRow]:
    rng = _rng(seed, country.code, "homicide")
    n = len(cal.years)
    level = np.log(_median(country)) + rng.normal(0.0, 0.4)
    slope = rng.normal(-0.01, 0.015)
    surge = HOMICIDE_SURGES.get(country.code, {})
    log_rate = level + slope * np.arange(n) + _ar1(rng, n, 0.8, 0.08)
    log_rate += np.log([surge.get(year, 1.0) for year in cal.years])
    population = _population(country, rng, cal.years)
    counts = rng.poisson(np.exp(log_rate) * population / 1e5)
    reported = _reported_years(country, rng, n)
    for i, year in enumerate(cal.years):
        if reported[i]:
            start = date(year, 1, 1)
            rate = round(float(counts[i]) * 1e5 / float(population[i]), 2)
            yield DemoRow("homicide_rate", country.code, str(year), start, rate)
            yield DemoRow("homicide_count", country.code, str(year), start, float(counts[i]))


def _seizure_group(
    country: DemoCountry, group: str, rng: np.random.Generator, years: Sequence[int]
) -> FloatArray:
    """Return one group's kilograms seized per year, NaN when nothing was reported."""
    first = EMERGENCES.get((country.code, group))
    chance = SEIZURE_REPORTING[group]
    if group == "cocaine" and {country.subregion, country.intermediate} & COCAINE_ROUTES:
        chance = 0.8
    seizes, scale = rng.random() < chance, 10 ** rng.uniform(-0.5, 4.0)
    amounts = scale * rng.lognormal(0.0, 1.1, len(years))
    reported = rng.random(len(years)) < 0.65
    if first is not None:
        # An emergence: never before its first year, then every year and in bulk.
        seizes, reported = True, np.asarray(years) >= first
        amounts = np.where(reported, amounts * 20 + 50, amounts)
    if group == "nps":
        reported &= np.asarray(years) >= NPS_FROM
    if group == "cannabis":
        amounts *= 10
    return np.where(reported & seizes, np.maximum(np.round(amounts, 1), 0.1), np.nan)


def _seizures(country: DemoCountry, seed: int, cal: _Calendar) -> Iterator[DemoRow]:
    groups = {
        group: _seizure_group(
            country, group, _rng(seed, country.code, f"seizures:{group}"), cal.years
        )
        for group in DRUG_GROUPS
    }
    matrix = np.vstack(list(groups.values()))
    for i, year in enumerate(cal.years):
        start = date(year, 1, 1)
        for group, amounts in groups.items():
            if not np.isnan(amounts[i]):
                yield DemoRow(
                    f"seizures_{group}_kg", country.code, str(year), start, float(amounts[i])
                )
        seized = int(np.sum(~np.isnan(matrix[:, i])))
        if seized:
            yield DemoRow("seizure_drug_groups", country.code, str(year), start, float(seized))


def _council(country: DemoCountry, seed: int, cal: _Calendar) -> Iterator[DemoRow]:
    agenda = COUNCIL_AGENDA.get(country.code)
    if agenda is None:
        return
    first, last, intensity, crime_share = agenda
    rng = _rng(seed, country.code, "council")
    years = np.array([start.year for _, start in cal.quarters])
    on_agenda = (years >= first) & (years <= (last if last is not None else years.max()))
    # Meetings cluster: a slowly varying pressure, near zero off the agenda.
    pressure = np.exp(_ar1(rng, len(years), 0.85, 0.35))
    meetings = rng.poisson(np.where(on_agenda, intensity * pressure, 0.02))
    outcomes = rng.binomial(meetings, 0.35)
    crime = rng.binomial(outcomes, crime_share)
    for i, (period, start) in enumerate(cal.quarters):
        yield DemoRow("sc_meetings", country.code, period, start, float(meetings[i]))
        yield DemoRow("sc_outcomes", country.code, period, start, float(outcomes[i]))
        yield DemoRow("sc_crime_outcomes", country.code, period, start, float(crime[i]))


def _gdelt(country: DemoCountry, seed: int, cal: _Calendar) -> Iterator[DemoRow]:
    rng = _rng(seed, country.code, "gdelt")
    n = len(cal.days)
    low, high = (-1.5, 0.0) if country.code in MICROSTATES else (-0.3, 1.8)
    level = np.log(10 ** rng.uniform(low, high) * (2.0 if country.code in COUNCIL_AGENDA else 1.0))
    weekday = np.array([start.weekday() for _, start in cal.days])
    log_rate = level + _ar1(rng, n, 0.97, 0.05) + np.where(weekday >= 5, -0.15, 0.0)
    for code, ago, length, factor in DAILY_SURGES:
        if code == country.code:
            first = max(n - ago, 0)
            log_rate[first : first + length] += np.log(factor)
    counts = rng.poisson(np.exp(log_rate))
    for i, (period, start) in enumerate(cal.days):
        yield DemoRow("gdelt_crime_events", country.code, period, start, float(counts[i]))


FAMILIES = (_homicide, _seizures, _council, _gdelt)


def generate(
    countries: Iterable[DemoCountry], *, present: date, seed: int = DEFAULT_SEED
) -> list[DemoRow]:
    """Return the demo rows for the countries, as of present (the periods before it).

    Uninhabited territories (``UNINHABITED``) get no rows.
    """
    cal = _calendar(present)
    rows: list[DemoRow] = []
    for country in countries:
        if country.code in UNINHABITED:
            continue
        for family in FAMILIES:
            rows.extend(family(country, seed, cal))
    return rows
