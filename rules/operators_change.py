"""Operators on one series' own history: crossings, changes, robust anomalies, trends.

Each works row by row on the (regions x periods) matrix, so the streaming ``evaluate`` of
one region gives the same cells as the backtest of the panel.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

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
    at_least,
    at_most,
    prior_count,
    prior_mean_count,
    prior_windows,
    shift,
    trailing_windows,
)

# MAD x 1.4826 estimates the standard deviation of normally distributed data.
MAD_TO_SD = 1.4826


def _floor_field() -> Any:
    return Field(
        default=0.0,
        allow_inf_nan=False,
        description="Value floor: values below it never alert (keeps tiny rates quiet).",
    )


# --- crossing_above ----------------------------------------------------------------------


class CrossingParams(OperatorParams):
    """Parameters of ``crossing_above``."""

    threshold: float = Field(allow_inf_nan=False, description="The level L to cross.")


def _crossing_above(
    values: FloatMatrix, params: CrossingParams, context: EvalContext
) -> OperatorResult:
    previous = shift(values)
    condition = (values >= params.threshold) & (previous < params.threshold)
    return OperatorResult(condition, previous, np.full(values.shape, params.threshold))


register(
    OperatorSpec(
        name="crossing_above",
        params_model=CrossingParams,
        sentence="value reaches {threshold:g} from below the previous period",
        compute=_crossing_above,
        doc="SIGNALS.md M3: x_t >= L and x_(t-1) < L. The previous calendar period must be "
        "known (a gap is not a crossing). Baseline = the previous value.",
        example={"threshold": 1000.0},
    )
)


# --- change against the previous period or a rolling mean --------------------------------


class _ChangeGuard(OperatorParams):
    """Percent change with a low-baseline guard."""

    min_change: float = Field(
        gt=0,
        allow_inf_nan=False,
        description="Smallest change that alerts, as a fraction of the baseline "
        "(0.25 = 25%). Bands (moderate, large) are rule `levels` with different values.",
    )
    direction: Literal["up", "down"] = Field(
        default="up", description="'up' alerts on increases, 'down' on decreases."
    )
    floor: float = _floor_field()
    min_baseline: float = Field(
        default=0.0,
        ge=0,
        allow_inf_nan=False,
        description="Low-baseline guard: no alert unless the baseline is at least this "
        "(a count floor: a rise from 1 to 3 kg is +200% and means nothing).",
    )

    def change_fields(self) -> dict[str, Any]:
        """Return the change clause for sentences."""
        sign = "+" if self.direction == "up" else "-"
        return {"signed_change": f"{sign}{self.min_change * 100:g}%"}


def _change_result(
    values: FloatMatrix, baseline: FloatMatrix, params: _ChangeGuard, known: Any
) -> OperatorResult:
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(baseline > 0, values / baseline - 1.0, np.nan)
    guard = known & (baseline >= params.min_baseline) & (baseline > 0) & (values >= params.floor)
    # value >= baseline x (1 + min_change) is change >= min_change (baseline > 0), and
    # compared on the value's scale a tie is a tie, not a matter of the ratio's last bit.
    if params.direction == "up":
        threshold = baseline * (1.0 + params.min_change)
        condition = guard & at_least(values, threshold)
    else:
        threshold = baseline * (1.0 - params.min_change)
        condition = guard & at_most(values, threshold)
    return OperatorResult(condition, baseline, threshold, {"change": change})


class ChangeVsPreviousParams(_ChangeGuard):
    """Parameters of ``change_vs_previous``."""

    def template_fields(self) -> dict[str, Any]:
        """Return the parameters and the signed change clause."""
        return {**self.model_dump(), **self.change_fields()}


def _change_vs_previous(
    values: FloatMatrix, params: ChangeVsPreviousParams, context: EvalContext
) -> OperatorResult:
    previous = shift(values)
    return _change_result(values, previous, params, ~np.isnan(previous))


class ChangeVsMeanParams(_ChangeGuard, WindowedParams):
    """Parameters of ``change_vs_rolling_mean``."""

    def template_fields(self) -> dict[str, Any]:
        """Return the parameters, resolved history and the signed change clause."""
        return {**WindowedParams.template_fields(self), **self.change_fields()}


def _change_vs_rolling_mean(
    values: FloatMatrix, params: ChangeVsMeanParams, context: EvalContext
) -> OperatorResult:
    baseline, history = prior_mean_count(values, params.periods)
    return _change_result(values, baseline, params, history >= params.required_history)


_GUARD_DOC = (
    " Change = value / baseline - 1; alerts when it reaches min_change (or falls to "
    "-min_change with direction 'down'), the value reaches the floor and the baseline "
    "reaches min_baseline. Bands (M7 moderate +10%, large +25%) are rule levels."
)

register(
    OperatorSpec(
        name="change_vs_previous",
        params_model=ChangeVsPreviousParams,
        sentence="change of at least {signed_change} on the previous period, value at least "
        "{floor:g}, previous at least {min_baseline:g}",
        compute=_change_vs_previous,
        extras=("change",),
        doc="SIGNALS.md M4/M7 against the previous calendar period." + _GUARD_DOC,
        example={"min_change": 0.25, "floor": 5.0, "min_baseline": 2.0},
    )
)

register(
    OperatorSpec(
        name="change_vs_rolling_mean",
        params_model=ChangeVsMeanParams,
        sentence="change of at least {signed_change} on the mean of the previous {periods} "
        "periods (at least {min_history} known), value at least {floor:g}, mean at least "
        "{min_baseline:g}",
        compute=_change_vs_rolling_mean,
        extras=("change",),
        doc="SIGNALS.md M7/M8 against the mean of the known values among the previous N "
        "periods (at least min_history of them)." + _GUARD_DOC,
        example={"periods": 4, "min_change": 1.0, "floor": 5.0, "min_baseline": 1.0},
    )
)


# --- robust_anomaly --------------------------------------------------------------------


class RobustAnomalyParams(WindowedParams):
    """Parameters of ``robust_anomaly``."""

    min_score: float = Field(
        default=3.5,
        gt=0,
        allow_inf_nan=False,
        description="Robust z-score that alerts: (value - median) / (1.4826 x MAD).",
    )
    floor: float = _floor_field()
    min_spread: float = Field(
        default=0.0,
        ge=0,
        allow_inf_nan=False,
        description="Lower bound on the scaled MAD, in the indicator's units, so a flat "
        "history (MAD 0) does not make any wiggle infinitely anomalous.",
    )


def _robust_anomaly(
    values: FloatMatrix, params: RobustAnomalyParams, context: EvalContext
) -> OperatorResult:
    windows = prior_windows(values, params.periods)
    known = prior_count(values, params.periods) >= params.required_history
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows give NaN
        median = np.nanmedian(windows, axis=2)
        mad = np.nanmedian(np.abs(windows - median[:, :, None]), axis=2)
    spread = np.fmax(mad * MAD_TO_SD, params.min_spread)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(spread > 0, (values - median) / spread, np.nan)
    condition = known & at_least(score, params.min_score) & (values >= params.floor)
    threshold = median + params.min_score * spread
    return OperatorResult(condition, median, threshold, {"score": score, "spread": spread})


register(
    OperatorSpec(
        name="robust_anomaly",
        params_model=RobustAnomalyParams,
        sentence="robust score of at least {min_score:g} against the median and MAD of the "
        "previous {periods} periods (at least {min_history} known), value at least {floor:g}",
        compute=_robust_anomaly,
        extras=("score", "spread"),
        doc="Median and MAD over the previous N periods; score = (value - median) / "
        "max(1.4826 x MAD, min_spread). Robust to the outliers that inflate a mean and SD.",
        example={"periods": 8, "min_score": 3.5, "min_spread": 1.0},
    )
)


# --- trend_slope -----------------------------------------------------------------------


class TrendSlopeParams(OperatorParams):
    """Parameters of ``trend_slope``."""

    periods: int = Field(ge=2, le=1000, description="Window of N periods ending now.")
    min_points: int = Field(default=3, ge=2, description="Known values needed in the window.")
    min_slope: float = Field(
        allow_inf_nan=False,
        description="Slope that alerts (>=; use a negative value with direction 'down').",
    )
    relative: bool = Field(
        default=False,
        description="When true, min_slope is a fraction of the window mean per period "
        "(0.1 = 10% of the mean per period); when false, units per period.",
    )
    floor: float = _floor_field()

    @model_validator(mode="after")
    def _points_fit_window(self) -> TrendSlopeParams:
        if self.min_points > self.periods:
            raise ValueError(f"min_points ({self.min_points}) cannot exceed periods")
        return self

    def template_fields(self) -> dict[str, Any]:
        """Return the parameters and the slope unit."""
        unit = f"{self.min_slope * 100:g}% of the mean" if self.relative else f"{self.min_slope:g}"
        return {**self.model_dump(), "slope_unit": unit}


def _trend_slope(
    values: FloatMatrix, params: TrendSlopeParams, context: EvalContext
) -> OperatorResult:
    # Local positions 0..n-1 in each window: the same window always gives the same sums,
    # however long the axis before it (evaluate and backtest agree to the last bit).
    windows = trailing_windows(values, params.periods)
    known_cells = ~np.isnan(windows)
    y = np.where(known_cells, windows, 0.0)
    u = np.where(known_cells, np.arange(params.periods, dtype=np.float64), 0.0)
    count, su, sy = known_cells.sum(axis=2), u.sum(axis=2), y.sum(axis=2)
    suu, suy = (u * u).sum(axis=2), (u * y).sum(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        denominator = count * suu - su * su
        slope = np.where(denominator > 0, (count * suy - su * sy) / denominator, np.nan)
        mean = np.where(count > 0, sy / count, np.nan)
        measured = slope / np.abs(mean) if params.relative else slope
    known = (count >= params.min_points) & ~np.isnan(values)
    condition = known & at_least(measured, params.min_slope) & (values >= params.floor)
    threshold = np.full(values.shape, params.min_slope)
    return OperatorResult(
        condition, mean, threshold, {"slope": slope, "points": count.astype(np.float64)}
    )


register(
    OperatorSpec(
        name="trend_slope",
        params_model=TrendSlopeParams,
        sentence="least-squares slope over the last {periods} periods (at least {min_points} "
        "known) of at least {slope_unit} per period, value at least {floor:g}",
        compute=_trend_slope,
        extras=("slope", "points"),
        doc="Ordinary least-squares slope of the known values in the N periods ending at "
        "the current one (which must be known). Baseline = the window mean; threshold = "
        "min_slope (units, or a fraction of the mean when relative).",
        example={"periods": 5, "min_points": 4, "min_slope": 0.1, "relative": True},
    )
)
