"""Operators on counts, peers, categories and the clock.

``poisson_exceedance`` needs no scipy: the upper tail of the Poisson law is summed in log
space with ``math.lgamma``. ``peer_percentile`` compares regions with each other, so it
runs only on panels (``evaluate`` on one region refuses it); ``staleness`` reads the clock
(the evaluator extends every period axis to ``now``).
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from pydantic import Field

from rules.errors import PanelError
from rules.operators import (
    EvalContext,
    OperatorParams,
    OperatorResult,
    OperatorSpec,
    WindowedParams,
    register,
)
from rules.windows import (
    FloatMatrix,
    periods_since_value,
    prior_count,
    prior_mean,
    prior_mean_count,
    shift,
)

# Terms of the tail series; the ratio lambda / (x + k) < 1 makes it converge.
_MAX_TERMS = 100_000
_TAIL_TOLERANCE = 1e-12


def poisson_tail(counts: FloatMatrix, rates: FloatMatrix) -> FloatMatrix:
    """Return P(X >= count) for X ~ Poisson(rate), exactly where count > rate, else NaN."""
    out = np.full(counts.shape, np.nan)
    cells = np.argwhere((counts > rates) & (rates > 0))
    for row, col in cells:
        out[row, col] = _tail(math.ceil(counts[row, col]), float(rates[row, col]))
    return out


def _tail(x: int, lam: float) -> float:
    # P(X >= x) = pmf(x) * sum_k prod_{i=1..k} lam / (x + i): every term is positive.
    log_pmf = x * math.log(lam) - lam - math.lgamma(x + 1)
    total, term, k = 1.0, 1.0, 1
    while k < _MAX_TERMS:
        term *= lam / (x + k)
        total += term
        if term < _TAIL_TOLERANCE * total:
            break
        k += 1
    return min(1.0, math.exp(log_pmf + math.log(total)))


class PoissonParams(WindowedParams):
    """Parameters of ``poisson_exceedance``."""

    alpha: float = Field(
        default=0.01, gt=0, lt=0.5, description="Alert when P(X >= value | lambda) < alpha."
    )
    min_baseline: float = Field(
        default=1.0,
        gt=0,
        allow_inf_nan=False,
        description="Smallest lambda (mean of the previous N counts) to test against.",
    )
    floor: float = Field(
        default=0.0, allow_inf_nan=False, description="Counts below it never alert."
    )


def _poisson(values: FloatMatrix, params: PoissonParams, context: EvalContext) -> OperatorResult:
    rate, history = prior_mean_count(values, params.periods)
    known = history >= params.required_history
    eligible = known & (rate >= params.min_baseline) & (values >= params.floor)
    p_value = poisson_tail(np.where(eligible, values, np.nan), rate)
    condition = eligible & (p_value < params.alpha)
    return OperatorResult(condition, rate, np.full(values.shape, np.nan), {"p_value": p_value})


register(
    OperatorSpec(
        name="poisson_exceedance",
        params_model=PoissonParams,
        sentence="count improbable (p < {alpha:g}) under a Poisson law with the mean of the "
        "previous {periods} periods (at least {min_history} known, mean at least "
        "{min_baseline:g}), and at least {floor:g}",
        compute=_poisson,
        extras=("p_value",),
        doc="For counts: lambda = mean of the known previous N values; alerts when "
        "P(X >= ceil(value)) < alpha. Small populations get the tolerance they need. "
        "p_value is computed only for values above lambda (otherwise NaN).",
        example={"periods": 5, "alpha": 0.01, "min_baseline": 3.0},
    )
)


# --- peer_percentile -------------------------------------------------------------------


class PeerParams(OperatorParams):
    """Parameters of ``peer_percentile``."""

    level: Literal["intermediate", "subregion", "region"] = Field(
        default="subregion", description="The M49 grouping whose members are peers."
    )
    min_percentile: float = Field(
        ge=0, le=100, description="Alert at or above this percentile among peers (0-100)."
    )
    min_peers: int = Field(default=5, ge=2, description="Regions with a value needed per group.")
    floor: float = Field(default=0.0, allow_inf_nan=False, description="Value floor.")


def _percentiles(block: FloatMatrix) -> tuple[FloatMatrix, FloatMatrix]:
    """Return each value's percentile among the known values of its column, and counts."""
    known = ~np.isnan(block)
    peers = known.sum(axis=0).astype(np.float64)
    below = (block[:, None, :] > block[None, :, :]) & known[None, :, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = below.sum(axis=1) / (peers - 1.0) * 100.0
    return np.where(known, share, np.nan), np.broadcast_to(peers, block.shape)


def _peer_percentile(
    values: FloatMatrix, params: PeerParams, context: EvalContext
) -> OperatorResult:
    meta = context.region_meta
    if meta is None or params.level not in getattr(meta, "columns", ()):
        raise PanelError(f"peer_percentile needs region metadata with a {params.level!r} column")
    groups = meta[params.level].reindex(list(context.regions)).fillna("").to_numpy(dtype=str)
    percentile = np.full(values.shape, np.nan)
    peers = np.zeros(values.shape)
    for group in np.unique(groups[groups != ""]):
        rows = np.flatnonzero(groups == group)
        percentile[rows], peers[rows] = _percentiles(values[rows])
    condition = (peers >= params.min_peers) & (percentile >= params.min_percentile)
    condition &= values >= params.floor
    threshold = np.full(values.shape, params.min_percentile)
    return OperatorResult(
        condition, percentile, threshold, {"percentile": percentile, "peers": peers}
    )


register(
    OperatorSpec(
        name="peer_percentile",
        params_model=PeerParams,
        sentence="value at or above the {min_percentile:g}th percentile of its M49 {level} "
        "(at least {min_peers} peers known), and at least {floor:g}",
        compute=_peer_percentile,
        extras=("percentile", "peers"),
        doc="Percentile = share of the other in-scope regions of the same M49 group with "
        "a lower value in the same period (100 = highest). Runs on panels only: evaluate() "
        "on one region has no peers and refuses it; re-run the backtest for the group.",
        example={"level": "subregion", "min_percentile": 90, "min_peers": 2},
        needs_peers=True,
    )
)


# --- emergence -------------------------------------------------------------------------


class EmergenceParams(OperatorParams):
    """Parameters of ``emergence``."""

    absent_periods: int = Field(ge=1, le=1000, description="Periods N it must have been absent.")
    min_value: float = Field(
        default=0.0, ge=0, allow_inf_nan=False, description="Present means above this value."
    )
    missing: Literal["absent", "unknown"] = Field(
        default="unknown",
        description="'absent': a missing period counts as absence (sources that omit zeros); "
        "'unknown': every one of the N periods must be reported, at or below min_value.",
    )


def _emergence(
    values: FloatMatrix, params: EmergenceParams, context: EvalContext
) -> OperatorResult:
    present = np.where(np.isnan(values), np.nan, (values > params.min_value).astype(np.float64))
    seen = prior_mean(np.nan_to_num(present, nan=0.0), params.absent_periods) > 0
    known = prior_count(present, params.absent_periods)
    enough = known >= (1 if params.missing == "absent" else params.absent_periods)
    previous = shift(values)
    condition = (present == 1.0) & ~seen & enough
    threshold = np.full(values.shape, params.min_value)
    return OperatorResult(condition, previous, threshold, {"history": known.astype(np.float64)})


register(
    OperatorSpec(
        name="emergence",
        params_model=EmergenceParams,
        sentence="present (above {min_value:g}) after {absent_periods} periods of absence "
        "(missing periods count as {missing})",
        compute=_emergence,
        extras=("history",),
        doc="SIGNALS.md M10 per indicator: the value rises above min_value after N periods "
        "at or below it. One rule per category indicator (e.g. seizures_<group>_kg; YAML "
        "anchors keep the pack short); at least one reported period is always required.",
        example={"absent_periods": 3, "missing": "absent"},
    )
)


# --- staleness -------------------------------------------------------------------------


class StalenessParams(OperatorParams):
    """Parameters of ``staleness``."""

    max_age: int = Field(ge=1, le=100_000, description="Periods without a new value tolerated.")


def _staleness(
    values: FloatMatrix, params: StalenessParams, context: EvalContext
) -> OperatorResult:
    age = periods_since_value(values)
    # One alert per episode: the first period past the allowed age.
    condition = age == params.max_age + 1
    extras: dict[str, Any] = {"age": age}
    threshold = np.full(values.shape, float(params.max_age))
    return OperatorResult(condition, np.full(values.shape, np.nan), threshold, extras)


register(
    OperatorSpec(
        name="staleness",
        params_model=StalenessParams,
        sentence="no new value for more than {max_age} periods",
        compute=_staleness,
        extras=("age",),
        doc="The missed-release meta-alert: fires once, in the first period more than "
        "max_age periods after the last known value. Periods run up to now (evaluate() "
        "needs now=; a backtest without now ends at the indicator's last period).",
        example={"max_age": 2},
        needs_now=True,
    )
)
