"""The operator registry: each operator is data (name, params model, sentence, function).

An operator turns a (regions x periods) value matrix into a boolean condition matrix,
plus the baseline and threshold that explain it. The evaluator knows nothing about any
particular operator: a new one is a params model, a vectorised function and one
``register(OperatorSpec(...))`` call, here or in a module imported by ``rules``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Generic, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from rules.windows import BoolMatrix, FloatMatrix, above, prior_count, prior_max


class OperatorParams(BaseModel):
    """Base class of every operator's parameters: frozen, unknown fields refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def template_fields(self) -> dict[str, Any]:
        """Return the values a sentence or summary template may use."""
        return self.model_dump()


@dataclass(frozen=True)
class OperatorResult:
    """What an operator computed for every region and period.

    ``baseline`` is the reference the value was compared with (NaN when there is none),
    ``threshold`` the level the value had to pass; ``extras`` holds further per-cell
    numbers named in the spec's ``extras`` (they reach alert details and templates).
    For ``highest_in_n``: ``history``, the number of known previous periods, and
    ``rise``, the fraction by which the value beats the previous high.
    """

    condition: BoolMatrix
    baseline: FloatMatrix
    threshold: FloatMatrix
    extras: Mapping[str, FloatMatrix] = field(default_factory=dict)


@dataclass(frozen=True)
class EvalContext:
    """Where the matrix sits: its rows' regions, its columns' periods, the evaluation time.

    Operators that only look along each row ignore it; it is there for operators that
    need labels or the clock, such as staleness (periods since the last value, as of now).
    """

    regions: Sequence[str]
    periods: Sequence[str]
    now: str | None = None
    # M49 metadata indexed by ISO3 (region, subregion, intermediate), for peer operators.
    region_meta: Any = field(default=None, compare=False)


P = TypeVar("P", bound=OperatorParams)


@dataclass(frozen=True)
class OperatorSpec(Generic[P]):
    """An operator declared as data; ``sentence`` is what the dashboard shows."""

    name: str
    params_model: type[P]
    sentence: str
    compute: Callable[[FloatMatrix, P, EvalContext], OperatorResult]
    extras: tuple[str, ...] = ()
    doc: str = ""
    example: Mapping[str, Any] = field(default_factory=dict)  # valid params, for docs
    # Compares each region with other regions: one-series evaluate() refuses it.
    needs_peers: bool = False
    # Looks at the clock (periods up to now): one-series evaluate() needs now=.
    needs_now: bool = False

    def describe(self, params: OperatorParams) -> str:
        """Return the operator's sentence filled in with these parameters."""
        return self.sentence.format(**params.template_fields())

    def run(
        self, values: FloatMatrix, params: OperatorParams, context: EvalContext | None = None
    ) -> OperatorResult:
        """Apply the operator to a (regions x periods) matrix."""
        if not isinstance(params, self.params_model):
            raise TypeError(f"{self.name} expects {self.params_model.__name__} parameters")
        if context is None:
            rows, columns = values.shape
            context = EvalContext([str(i) for i in range(rows)], [str(i) for i in range(columns)])
        return self.compute(values, params, context)


_REGISTRY: dict[str, OperatorSpec[Any]] = {}
OPERATORS: Mapping[str, OperatorSpec[Any]] = MappingProxyType(_REGISTRY)


def register(spec: OperatorSpec[P]) -> OperatorSpec[P]:
    """Add an operator to the registry; names are unique."""
    if spec.name in _REGISTRY:
        raise ValueError(f"operator {spec.name!r} is already registered")
    _REGISTRY[spec.name] = spec
    return spec


def check_history(min_history: int | None, periods: int) -> None:
    """Raise ValueError when a history requirement does not fit its window."""
    if min_history is not None and min_history > periods:
        raise ValueError(f"min_history ({min_history}) cannot exceed periods ({periods})")


def resolve_history(min_history: int | None, periods: int) -> int:
    """Return the known periods required: min_history, or half the window rounded up."""
    return min_history if min_history is not None else math.ceil(periods / 2)


class WindowedParams(OperatorParams):
    """Shared validation: a window of N periods and a history requirement within it."""

    periods: int = Field(ge=1, le=1000, description="Length N of the look-back window.")
    min_history: int | None = Field(
        default=None,
        ge=1,
        description="How many of the N previous periods must have a value. Default: half "
        "of N, rounded up.",
    )

    @model_validator(mode="after")
    def _history_fits_window(self) -> Any:
        check_history(self.min_history, self.periods)
        return self

    @property
    def required_history(self) -> int:
        """Return the effective minimum number of known previous periods."""
        return resolve_history(self.min_history, self.periods)

    def template_fields(self) -> dict[str, Any]:
        """Return the parameters, with min_history resolved to its effective value."""
        return {**self.model_dump(), "min_history": self.required_history}


# --- highest_in_n --------------------------------------------------------------------


class HighestInNParams(WindowedParams):
    """Parameters of ``highest_in_n``."""

    periods: int = Field(ge=1, le=1000, description="Length N of the look-back window.")
    floor: float = Field(
        default=0.0,
        allow_inf_nan=False,
        description="Values below the floor never alert. The default 0 suits rates and "
        "counts; set it lower for indicators that can be negative.",
    )
    min_rise: float = Field(
        default=0.0,
        ge=0.0,
        allow_inf_nan=False,
        description="How far above the previous high the value must be, as a fraction of "
        "it (0.1 = 10%). The default 0 is the plain record; a margin keeps records set by "
        "a hair, well within year-to-year noise, from alerting.",
    )
    min_history: int | None = Field(
        default=None,
        ge=1,
        description="How many of the N previous periods must have a value. Default: half "
        "of N, rounded up: a record needs a real history to be a record, but annual crime "
        "statistics have gaps, and demanding all N years would silence much of the world.",
    )

    def template_fields(self) -> dict[str, Any]:
        """Return the parameters, with min_history resolved to its effective value."""
        rise = f" by more than {self.min_rise * 100:g}%" if self.min_rise else ""
        return {**super().template_fields(), "rise_clause": rise}


def _highest_in_n(
    values: FloatMatrix, params: HighestInNParams, context: EvalContext
) -> OperatorResult:
    baseline = prior_max(values, params.periods)
    history = prior_count(values, params.periods)
    # abs() so that a margin still means "further up" when the previous high is negative.
    record = baseline + params.min_rise * np.abs(baseline)
    condition = (history >= params.required_history) & above(values, record)
    condition &= values >= params.floor
    threshold = np.fmax(record, params.floor)
    with np.errstate(divide="ignore", invalid="ignore"):
        rise = np.where(baseline > 0, values / baseline - 1.0, np.nan)
    extras = {"history": history.astype(np.float64), "rise": rise}
    return OperatorResult(condition, baseline, threshold, extras)


register(
    OperatorSpec(
        name="highest_in_n",
        params_model=HighestInNParams,
        sentence="value above the highest of the previous {periods} periods{rise_clause} "
        "(at least {min_history} of them known), and at least {floor:g}",
        compute=_highest_in_n,
        extras=("history", "rise"),
        doc="A new record: the value beats every value of the previous N periods "
        "(calendar periods, gaps count as missing), by min_rise if set, and reaches the "
        "floor. Threshold = max(previous high x (1 + min_rise), floor).",
        example={"periods": 5, "floor": 4.0, "min_rise": 0.1},
    )
)


# --- thresholds ----------------------------------------------------------------------


class ThresholdParams(OperatorParams):
    """Parameters of ``threshold_above`` and ``threshold_below``."""

    threshold: float = Field(
        allow_inf_nan=False, description="The fixed level to compare each value with."
    )


def _no_baseline(values: FloatMatrix) -> FloatMatrix:
    return np.full(values.shape, np.nan)


def _threshold_above(
    values: FloatMatrix, params: ThresholdParams, context: EvalContext
) -> OperatorResult:
    threshold = np.full(values.shape, params.threshold)
    return OperatorResult(values > params.threshold, _no_baseline(values), threshold)


def _threshold_below(
    values: FloatMatrix, params: ThresholdParams, context: EvalContext
) -> OperatorResult:
    threshold = np.full(values.shape, params.threshold)
    return OperatorResult(values < params.threshold, _no_baseline(values), threshold)


register(
    OperatorSpec(
        name="threshold_above",
        params_model=ThresholdParams,
        sentence="value above {threshold:g}",
        compute=_threshold_above,
        doc="The value is strictly above a fixed level.",
        example={"threshold": 20.0},
    )
)

register(
    OperatorSpec(
        name="threshold_below",
        params_model=ThresholdParams,
        sentence="value below {threshold:g}",
        compute=_threshold_below,
        doc="The value is strictly below a fixed level.",
        example={"threshold": 1.0},
    )
)
