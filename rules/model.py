"""Rule files as Pydantic models, grouped like Prometheus rule groups.

A rule file holds ``groups``; each group holds ``rules``; each rule names an indicator,
a registered operator and that operator's parameters (validated by the operator's own
params model). ``severity`` is one level for now; graded levels (a list of thresholds,
each with its severity) can be added as a new optional field without breaking files.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
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


class Rule(_Strict):
    """One alert rule: an operator applied to one indicator."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_by_name=True, validate_by_alias=True
    )

    name: RuleName
    indicator: IndicatorCode
    operator: str
    params: SerializeAsAny[OperatorParams] = Field(
        default_factory=OperatorParams, validate_default=True
    )
    severity: Severity
    for_: int = Field(default=0, alias="for", ge=0, le=10_000, description="Pending periods.")
    scope: Scope = Scope()
    labels: dict[NonEmpty, str] = Field(default_factory=dict)
    annotations: Annotations

    @field_validator("operator")
    @classmethod
    def _known_operator(cls, name: str) -> str:
        if name not in OPERATORS:
            close = difflib.get_close_matches(name, list(OPERATORS), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ValueError(
                f"unknown operator {name!r}; {hint}known: {', '.join(sorted(OPERATORS))}"
            )
        return name

    @field_validator("params", mode="before")
    @classmethod
    def _operator_params(cls, raw: Any, info: ValidationInfo) -> Any:
        spec = OPERATORS.get(info.data.get("operator", ""))
        if spec is None:
            return OperatorParams()  # the operator error is reported on its own
        if isinstance(raw, spec.params_model):
            return raw
        # A ValidationError raised here keeps its locations under "params".
        return spec.params_model.model_validate({} if raw is None else raw)

    @field_validator("annotations")
    @classmethod
    def _summary_renders(cls, annotations: Annotations, info: ValidationInfo) -> Annotations:
        spec = OPERATORS.get(info.data.get("operator", ""))
        params = info.data.get("params")
        if spec is None or not isinstance(params, spec.params_model):
            return annotations
        fields = template_fields(params.template_fields(), spec.extras)
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

    @property
    def sentence(self) -> str:
        """Return the operator's human sentence for this rule's parameters."""
        return OPERATORS[self.operator].describe(self.params)


class RuleGroup(_Strict):
    """A named group of rules, as in Prometheus rule files."""

    name: NonEmpty
    rules: tuple[Rule, ...] = ()


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
        for rule in self.rules:
            if rule.name in seen:
                raise ValueError(f"rule name {rule.name!r} is defined more than once")
            seen.add(rule.name)

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Return every rule, in file and group order."""
        return tuple(rule for group in self.groups for rule in group.rules)

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
