"""Score rules against reference episodes, and tune one parameter to a noise budget.

Pure: alert keys (rule, region, period) and episodes (region, onset period) in, numbers
out. An alert *catches* an episode when it is for the episode's region and its period
falls within ``lead`` periods before the onset to ``lag`` periods after it, counted in
the episode's cadence (an alert in 2008Q3 sits in period 2008 of a yearly episode).
Lead time is onset minus the first catching alert: 2 means two periods early, -1 one
period late.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import ValidationError

from rules.model import Rule
from rules.operators import OPERATORS
from rules.periods import Cadence, detect_cadence

DAYS_PER_QUARTER = 365.25 / 4
FACTORS = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0)
QUANTILES = tuple(q / 20 for q in range(1, 20))  # 5th to 95th percentile of the values

ScaleKind = Literal["values", "relative"]


@dataclass(frozen=True)
class Tunable:
    """An operator's threshold-like parameter and how to pick values to try for it.

    ``values``: the parameter is on the indicator's own scale (a threshold, a floor), so
    the candidates are percentiles of the observed values. ``relative``: it is a ratio, a
    score or a count (a change, a z-score, an age), so the candidates scale the current
    value by ``FACTORS``.
    """

    parameter: str
    kind: ScaleKind


# The one place that says which parameter the noise budget tunes, per operator.
TUNABLE: Mapping[str, Tunable] = {
    "threshold_above": Tunable("threshold", "values"),
    "threshold_below": Tunable("threshold", "values"),
    "crossing_above": Tunable("threshold", "values"),
    "highest_in_n": Tunable("floor", "values"),
    "change_vs_previous": Tunable("min_change", "relative"),
    "change_vs_rolling_mean": Tunable("min_change", "relative"),
    "robust_anomaly": Tunable("min_score", "relative"),
    "trend_slope": Tunable("min_slope", "relative"),
    "poisson_exceedance": Tunable("alpha", "relative"),
    "peer_percentile": Tunable("min_percentile", "relative"),
    "emergence": Tunable("min_value", "values"),
    "staleness": Tunable("max_age", "relative"),
}


@dataclass(frozen=True)
class Window:
    """How far before and after an onset an alert still counts as catching it."""

    lead: int = 3
    lag: int = 1


@dataclass(frozen=True)
class Episode:
    """A reference episode: a region and the period its deterioration began."""

    region: str
    onset: str


@dataclass(frozen=True)
class AlertKey:
    """What scoring needs of an alert: its rule, region and data period."""

    rule: str
    region: str
    period: str


@dataclass(frozen=True)
class Caught:
    """An episode some alert caught: the first catching alert and how early it came."""

    region: str
    onset: str
    first_alert: str
    lead: int


@dataclass(frozen=True)
class Scorecard:
    """How one rule's alerts line up with the reference episodes in its scope."""

    rule: str
    episodes: int
    alerts: int
    true_positives: int
    precision: float | None
    recall: float | None
    median_lead: float | None
    caught: tuple[Caught, ...]
    missed: tuple[Episode, ...]


def period_start(period: str) -> date:
    """Return the first day of a period of any cadence (2020, 2020Q3, 2020-W27, ...)."""
    name = detect_cadence(period).name
    year = int(period[:4])
    if name == "day":
        return date.fromisoformat(period)
    if name == "week":
        return date.fromisocalendar(year, int(period[6:8]), 1)
    if name == "quarter":
        return date(year, 3 * int(period[5]) - 2, 1)
    return date(year, int(period[5:7]) if name == "month" else 1, 1)


def _label(cadence: Cadence, day: date) -> str:
    """Return the period of the cadence that contains the day."""
    labels = {
        "year": f"{day.year:04d}",
        "quarter": f"{day.year:04d}Q{(day.month - 1) // 3 + 1}",
        "month": f"{day.year:04d}-{day.month:02d}",
        "week": "{:04d}-W{:02d}".format(*day.isocalendar()[:2]),
        "day": day.isoformat(),
    }
    return labels[cadence.name]


def position(period: str, cadence: Cadence) -> int:
    """Return the ordinal, in the cadence, of the period that holds the period's start."""
    return cadence.to_ordinal(_label(cadence, period_start(period)))


def _catch(
    episode: Episode, periods: Sequence[str], window: Window
) -> tuple[list[int], Caught | None]:
    """Return which of a region's alert periods fall in the episode's window, and the catch."""
    cadence = detect_cadence(episode.onset)
    onset = cadence.to_ordinal(episode.onset)
    places = [position(p, cadence) for p in periods]
    hits = [i for i, at in enumerate(places) if onset - window.lead <= at <= onset + window.lag]
    if not hits:
        return hits, None
    first = min(hits, key=lambda i: places[i])
    return hits, Caught(episode.region, episode.onset, periods[first], onset - places[first])


def score(
    rule: str,
    alerts: Iterable[AlertKey],
    episodes: Iterable[Episode],
    *,
    window: Window = Window(),
    regions: Collection[str] | None = None,
) -> Scorecard:
    """Score one rule's alerts against the episodes of the regions in its scope.

    ``regions`` limits the episodes to the rule's scope (None: every episode counts).
    """
    mine = [a for a in alerts if a.rule == rule]
    chosen = sorted(
        {e for e in episodes if regions is None or e.region in regions},
        key=lambda e: (e.region, period_start(e.onset)),
    )
    by_region: dict[str, list[int]] = {}
    for index, alert in enumerate(mine):
        by_region.setdefault(alert.region, []).append(index)
    matched: set[int] = set()
    caught: list[Caught] = []
    missed: list[Episode] = []
    for episode in chosen:
        indexes = by_region.get(episode.region, [])
        hits, catch = _catch(episode, [mine[i].period for i in indexes], window)
        matched.update(indexes[i] for i in hits)
        if catch is None:
            missed.append(episode)
        else:
            caught.append(catch)
    return Scorecard(
        rule=rule,
        episodes=len(chosen),
        alerts=len(mine),
        true_positives=len(matched),
        precision=len(matched) / len(mine) if mine else None,
        recall=len(caught) / len(chosen) if chosen else None,
        median_lead=float(np.median([c.lead for c in caught])) if caught else None,
        caught=tuple(caught),
        missed=tuple(missed),
    )


def in_years(period: str, start: int | None, end: int | None) -> bool:
    """Tell whether a period's year lies within start and end (inclusive; None: open)."""
    year = int(period[:4])
    return (start is None or year >= start) and (end is None or year <= end)


def quarters_spanned(periods: Iterable[str]) -> float:
    """Return how many quarters (of 365.25 / 4 days) the periods span, first to last."""
    ordered = sorted({(period_start(p), p) for p in periods})
    if not ordered:
        return 0.0
    last = ordered[-1][1]
    cadence = detect_cadence(last)
    end = period_start(cadence.from_ordinal(cadence.to_ordinal(last) + 1))
    return (end - ordered[0][0]).days / DAYS_PER_QUARTER


def tunable(rule: Rule) -> tuple[Tunable, float]:
    """Return the rule's tunable parameter and its current value (KeyError: none)."""
    spec = TUNABLE[rule.operator]
    current = rule.params.model_dump()[spec.parameter]
    return spec, float(current)


def _significant(value: float, digits: int = 3) -> float:
    return float(f"{value:.{digits}g}")


def candidate_values(rule: Rule, values: npt.NDArray[np.float64]) -> list[float]:
    """Return the values to try for the rule's tunable parameter, current one included.

    ``values`` are the indicator's observed values; they set the range of parameters on
    the indicator's scale. Integer parameters are tried as integers.
    """
    spec, current = tunable(rule)
    finite = values[np.isfinite(values)]
    if spec.kind == "values" and finite.size:
        found = [_significant(float(v)) for v in np.quantile(finite, QUANTILES)]
    else:
        found = [_significant(current * factor) for factor in FACTORS]
    if isinstance(rule.params.model_dump()[spec.parameter], int):
        found = [float(round(v)) for v in found]
    return sorted({*found, current})


def with_parameter(rule: Rule, value: float) -> Rule | None:
    """Return the rule with its tunable parameter set to value; None when not allowed."""
    spec, _current = tunable(rule)
    params: dict[str, Any] = rule.params.model_dump()
    params[spec.parameter] = int(value) if isinstance(params[spec.parameter], int) else value
    try:
        parsed = OPERATORS[rule.operator].params_model.model_validate(params)
        return Rule.model_validate({**dict(rule), "params": parsed})
    except (ValidationError, ValueError):
        return None


@dataclass(frozen=True)
class Trial:
    """One value of the tunable parameter and how the rule scored with it."""

    value: float
    alerts_per_quarter: float
    recall: float | None
    precision: float | None


def suggest(trials: Iterable[Trial], budget: float) -> Trial | None:
    """Return the trial with the best recall within the budget (ties: fewer alerts).

    None when no value keeps within the budget or there is no recall to compare (no
    reference episode in the rule's scope).
    """
    fitting = [t for t in trials if t.alerts_per_quarter <= budget and t.recall is not None]
    if not fitting:
        return None
    return min(fitting, key=lambda t: (-(t.recall or 0.0), t.alerts_per_quarter, t.value))
