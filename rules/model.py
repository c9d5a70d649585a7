"""Rule files as Pydantic models, grouped like Prometheus rule groups.

A rule file holds ``groups``; each group holds ``rules``; each rule names an indicator,
a registered operator and that operator's parameters (validated by the operator's own
params model). ``severity`` is the base level; ``levels`` add graded severities, each the
same operator with some parameters changed. Debouncing options (``for``,
``keep_firing_for``, ``recover_below``, ``cooldown``) are applied in ``rules.options``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializeAsAny,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from rules.explain import check_template, template_fields
from rules.operators import OPERATORS, OperatorParams

Severity = Literal["info", "warning", "critical"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "critical")

RuleName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=128)]
IndicatorCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.\-]+$", max_length=128)]
ISO3 = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Scope(_Strict):
    """Where a rule applies; empty means everywhere."""

    regions: tuple[NonEmpty, ...] = Field(
        default=(), description="UN M49 region, sub-region or intermediate region names or codes."
    )
    iso3: tuple[ISO3, ...] = Field(default=(), description="Countries by ISO 3166 alpha-3 code.")
    exclude: tuple[NonEmpty, ...] = Field(
        default=(), description="ISO3 codes or M49 names or codes taken out of the scope."
    )

    @property
    def everywhere(self) -> bool:
        """Return whether the scope includes every region before exclusions."""
        return not self.regions and not self.iso3


class Annotations(_Strict):
    """Texts shown with an alert; ``summary`` is a template filled with its numbers."""

    summary: NonEmpty = Field(description="One sentence with {placeholders}, see docs.")
    why: str = Field(default="", description="Why this condition matters; plain text.")
    description: str = Field(default="", description="Longer notes for analysts; plain text.")


def _check_operator(name: str) -> str:
    if name not in OPERATORS:
        close = difflib.get_close_matches(name, list(OPERATORS), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ValueError(f"unknown operator {name!r}; {hint}known: {', '.join(sorted(OPERATORS))}")
    return name


def _check_params(raw: Any, info: ValidationInfo) -> Any:
    spec = OPERATORS.get(info.data.get("operator", ""))
    if spec is None:
        return OperatorParams()  # the operator error is reported on its own
    if isinstance(raw, spec.params_model):
        return raw
    # A ValidationError raised here keeps its locations under "params".
    return spec.params_model.model_validate({} if raw is None else raw)


def _check_summary(annotations: Annotations, fields: dict[str, Any]) -> Annotations:
    problem = check_template(annotations.summary, fields)
    if problem:
        # Raised as a ValidationError so the location reaches annotations.summary.
        error = InitErrorDetails(
            type=PydanticCustomError("summary_template", problem),
            loc=("summary",),
            input=annotations.summary,
        )
        raise ValidationError.from_exception_data("Annotations", [error])
    return annotations


OperatorName = Annotated[str, AfterValidator(_check_operator)]
# Validated by the params model of the operator named just before it.
Params = Annotated[SerializeAsAny[OperatorParams], BeforeValidator(_check_params)]


class Level(_Strict):
    """A graded severity: the rule's operator with some parameters changed."""

    severity: Severity
    params: dict[NonEmpty, Any] = Field(
        default_factory=dict, description="Parameters that differ from the rule's own."
    )


class Rule(_Strict):
    """One alert rule: an operator applied to one indicator."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_by_name=True, validate_by_alias=True
    )

    name: RuleName
    indicator: IndicatorCode
    operator: OperatorName
    params: Params = Field(default_factory=OperatorParams, validate_default=True)
    severity: Severity
    for_: int = Field(default=0, alias="for", ge=0, le=10_000, description="Pending periods.")
    levels: tuple[Level, ...] = Field(
        default=(),
        description="Further severities, each the operator with changed parameters; the "
        "highest level whose condition holds wins (SIGNALS.md M1/M2).",
    )
    keep_firing_for: int = Field(
        default=0, ge=0, le=10_000, description="Periods an alert keeps firing after it clears."
    )
    recover_below: float | None = Field(
        default=None,
        allow_inf_nan=False,
        description="Hysteresis: once firing, the alert holds until the value drops below "
        "this (a missing value also ends it).",
    )
    cooldown: int = Field(
        default=0,
        ge=0,
        le=10_000,
        description="Periods after an alert during which the same rule and region raise no "
        "new alert of the same or lower severity; a higher severity escalates (M6).",
    )
    scope: Scope = Scope()
    labels: dict[NonEmpty, str] = Field(default_factory=dict)
    annotations: Annotations

    @field_validator("levels")
    @classmethod
    def _level_params(cls, levels: tuple[Level, ...], info: ValidationInfo) -> tuple[Level, ...]:
        spec = OPERATORS.get(info.data.get("operator", ""))
        params = info.data.get("params")
        if spec is None or not isinstance(params, spec.params_model):
            return levels
        for level in levels:
            # Raises a ValueError naming the bad parameter; reported under levels.
            spec.params_model.model_validate({**params.model_dump(), **level.params})
        return levels

    def level_params(self) -> list[tuple[Severity, OperatorParams]]:
        """Return (severity, params) for the rule itself and each level, in that order."""
        spec = OPERATORS[self.operator]
        base = self.params.model_dump()
        extra = [
            (level.severity, spec.params_model.model_validate({**base, **level.params}))
            for level in self.levels
        ]
        return [(self.severity, self.params), *extra]

    @field_validator("annotations")
    @classmethod
    def _summary_renders(cls, annotations: Annotations, info: ValidationInfo) -> Annotations:
        spec = OPERATORS.get(info.data.get("operator", ""))
        params = info.data.get("params")
        if spec is None or not isinstance(params, spec.params_model):
            return annotations
        return _check_summary(annotations, template_fields(params.template_fields(), spec.extras))

    @property
    def sentence(self) -> str:
        """Return the operator's human sentence for this rule's parameters."""
        return OPERATORS[self.operator].describe(self.params)

    @property
    def indicators(self) -> frozenset[str]:
        """Return the indicator codes the rule reads."""
        return frozenset((self.indicator,))


MissingPolicy = Literal["false", "true", "unknown", "suppress"]
Cadence = Literal["year", "quarter", "month", "week", "day"]


class Clause(_Strict):
    """One condition of a composite: an operator on an indicator, held within a window."""

    indicator: IndicatorCode
    operator: OperatorName
    params: Params = Field(default_factory=OperatorParams, validate_default=True)
    within: int = Field(
        default=1,
        ge=1,
        le=100_000,
        description="The clause holds if its condition held in any of the last N periods "
        "of its own cadence (4 on a quarterly indicator = within the last 4 quarters).",
    )
    negate: bool = Field(default=False, description="Holds when the condition did NOT hold.")
    missing: MissingPolicy = Field(
        default="unknown",
        description="When no value is known within the window: the clause is false, true, "
        "unknown (the composite alerts only if the others decide it), or suppress (no alert).",
    )

    @property
    def sentence(self) -> str:
        """Return the clause in words ("not x: value above 0, within the last 4 periods")."""
        words = OPERATORS[self.operator].describe(self.params)
        window = f", within the last {self.within} periods" if self.within > 1 else ""
        return f"{'not ' if self.negate else ''}{self.indicator}: {words}{window}"


class Composite(_Strict):
    """An alert on `all` or `any` of clauses over indicators of different cadences."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_by_name=True, validate_by_alias=True
    )

    name: RuleName
    all_: tuple[Clause, ...] = Field(default=(), alias="all")
    any_: tuple[Clause, ...] = Field(default=(), alias="any")
    cadence: Cadence | None = Field(
        default=None,
        description="Cadence of the composite's periods. Default: the coarsest clause "
        "cadence; each clause is read at the last of its periods inside each such period.",
    )
    severity: Severity
    for_: int = Field(default=0, alias="for", ge=0, le=10_000, description="Pending periods.")
    cooldown: int = Field(
        default=0,
        ge=0,
        le=10_000,
        description="Periods after an alert during which the same composite and region "
        "raise no new alert (one alert per episode).",
    )
    scope: Scope = Scope()
    labels: dict[NonEmpty, str] = Field(default_factory=dict)
    annotations: Annotations

    @field_validator("annotations")
    @classmethod
    def _summary_renders(cls, annotations: Annotations, info: ValidationInfo) -> Annotations:
        all_, any_ = info.data.get("all_", ()), info.data.get("any_", ())
        if bool(all_) == bool(any_):
            raise ValueError("a composite needs exactly one of `all` or `any`, with clauses")
        fields = template_fields({"clauses": "X"}, ())
        return _check_summary(annotations, fields)

    @property
    def mode(self) -> Literal["all", "any"]:
        """Return how the clauses combine."""
        return "all" if self.all_ else "any"

    @property
    def clauses(self) -> tuple[Clause, ...]:
        """Return the clauses."""
        return self.all_ or self.any_

    @property
    def indicator(self) -> str:
        """Return the first clause's indicator, which alerts report."""
        return self.clauses[0].indicator

    @property
    def indicators(self) -> frozenset[str]:
        """Return the indicator codes the clauses read."""
        return frozenset(clause.indicator for clause in self.clauses)

    @property
    def sentence(self) -> str:
        """Return the clauses in words: each indicator with its operator's sentence."""
        parts = [clause.sentence for clause in self.clauses]
        return f"{self.mode} of: " + "; ".join(parts)


class RuleGroup(_Strict):
    """A named group of rules, as in Prometheus rule files."""

    name: NonEmpty
    rules: tuple[Rule, ...] = ()
    composites: tuple[Composite, ...] = ()


class RuleFile(_Strict):
    """The content of one rule file."""

    groups: tuple[RuleGroup, ...]


@dataclass(frozen=True)
class RuleSet:
    """Rules loaded from one or more files, with rule names unique across them."""

    groups: tuple[RuleGroup, ...] = ()
    origins: Mapping[str, str] = field(default_factory=dict)  # rule name -> "file:line"

    def __post_init__(self) -> None:
        seen: set[str] = set()
        names = [r.name for r in self.rules] + [c.name for c in self.composites]
        for name in names:
            if name in seen:
                raise ValueError(f"rule name {name!r} is defined more than once")
            seen.add(name)

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Return every rule, in file and group order."""
        return tuple(rule for group in self.groups for rule in group.rules)

    @property
    def composites(self) -> tuple[Composite, ...]:
        """Return every composite, in file and group order."""
        return tuple(item for group in self.groups for item in group.composites)

    def __iter__(self) -> Iterator[Rule]:
        """Iterate over the rules."""
        return iter(self.rules)

    def __len__(self) -> int:
        """Return the number of rules."""
        return len(self.rules)

    def get(self, name: str) -> Rule:
        """Return the rule called name."""
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise KeyError(name)
