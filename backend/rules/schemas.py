"""Rule schemas: rules and their versions, YAML edits, validation, backtests, impact diffs."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from backend.alerts.schemas import UtcDateTime
from backend.listing import Listing

RULE_EXAMPLE = """groups:
  - name: homicide
    rules:
      - name: homicide_rate_record
        indicator: homicide_rate
        operator: highest_in_n
        params: {periods: 5, floor: 2.0}
        severity: warning
        annotations:
          summary: "{region}: {value:.1f} in {period}, above {baseline:.1f}"
"""
RuleYaml = Annotated[str, StringConstraints(min_length=1, max_length=200_000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Year = Annotated[int, Field(ge=1800, le=2200)]


class RuleRead(BaseModel):
    """A rule as listed: its current version in a few words."""

    name: str = Field(description="Rule name", examples=["homicide_rate_record"])
    group: str = Field(description="Rule group", examples=["homicide"])
    kind: Literal["rule", "composite"] = Field(
        default="rule",
        description="A rule (one operator on one indicator) or a composite (all/any of "
        "clauses; its operator is `all` or `any`, its indicator the first clause's)",
        examples=["rule"],
    )
    enabled: bool = Field(description="Evaluated on ingest", examples=[True])
    current_version: int = Field(description="Current version number", examples=[3])
    indicator: str | None = Field(description="Indicator it reads", examples=["homicide_rate"])
    operator: str | None = Field(description="Operator", examples=["highest_in_n"])
    severity: str | None = Field(description="Severity it raises", examples=["warning"])
    sentence: str | None = Field(
        description="The operator's sentence; null when the stored version no longer loads",
        examples=["value above the highest of the previous 5 periods"],
    )
    updated_at: UtcDateTime = Field(description="When the current version was saved (UTC)")
    author: str = Field(description="Who saved the current version", examples=["analyst1"])


class RulePage(Listing[RuleRead]):
    """Every rule, by group and name."""


class RuleVersionRead(BaseModel):
    """One saved version of a rule."""

    version: int = Field(description="Version number", examples=[2])
    author: str = Field(description="Who saved it", examples=["analyst1"])
    reason: str = Field(description="Why", examples=["Raise the floor: too noisy"])
    created_at: UtcDateTime = Field(description="When (UTC)")
    definition: str = Field(description="The rule as canonical YAML (one rule mapping)")


class RuleDetailRead(RuleRead):
    """A rule with its current definition and its history."""

    definition: str = Field(description="Current version as canonical YAML (one rule)")
    yaml: str = Field(
        description="Current version as a rule file (groups), ready to edit and PUT back",
        examples=[RULE_EXAMPLE],
    )
    versions: list[RuleVersionRead] = Field(description="Every version, newest first")


class RuleYamlBody(BaseModel):
    """A rule file's YAML text (groups of rules, as for `tocsin rules validate`)."""

    model_config = ConfigDict(extra="forbid")

    yaml: RuleYaml = Field(description="Rule file text", examples=[RULE_EXAMPLE])


class RuleCreate(RuleYamlBody):
    """New rules from a rule file, with why they are added."""

    reason: Reason = Field(description="Why (kept with version 1)", examples=["New surge rule"])


class RuleUpdate(RuleCreate):
    """A new version of one rule: a rule file holding exactly that rule."""

    base_version: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="The version the edit started from; 409 when the rule has moved on since",
        examples=[2],
    )


class EvaluationRead(BaseModel):
    """What re-evaluating the saved rules over the database changed in the alerts."""

    rules: int = Field(description="Rules evaluated", examples=[1])
    observations: int = Field(description="Observations read", examples=[5120])
    candidates: int = Field(description="Alerts the rules raise over the history")
    created: int = Field(description="Alerts created")
    changed: int = Field(description="Alerts whose state changed")
    unchanged: int = Field(description="Alerts left as they were")
    resolved: int = Field(description="Open alerts resolved: the rule no longer raises them")


class RuleSaved(BaseModel):
    """Rules just saved, and how their re-evaluation changed the alerts."""

    rules: list[RuleDetailRead] = Field(description="The saved rules")
    evaluation: EvaluationRead = Field(description="Effect on the stored alerts")


class ValidationRead(BaseModel):
    """Whether a rule file is valid, with `file:line: what is wrong` messages."""

    valid: bool = Field(description="True when every rule loads", examples=[False])
    rules: list[str] = Field(description="Names of the rules found (when valid)")
    errors: list[str] = Field(
        description="One `file:line: message` per problem (the file is named `yaml`)",
        examples=[["yaml:7: params.periods: Input should be greater than or equal to 2"]],
    )
    warnings: list[str] = Field(
        description="Things that are allowed but suspicious (an indicator with no data yet)"
    )


class BacktestWindow(BaseModel):
    """Which alerts of the history to list."""

    model_config = ConfigDict(extra="forbid")

    start: Year | None = Field(default=None, description="First year of alerts", examples=[2010])
    end: Year | None = Field(default=None, description="Last year of alerts", examples=[2023])
    as_known_then: bool | date | None = Field(
        default=False,
        description="Vintage-aware backtest: true replays the releases one by one, each "
        "period evaluated on the values published by then, and lists each alert once, from "
        "the release that first raised it (its explanation names that release's date); a "
        "date replays the releases published up to it; false or null reads the latest data",
        examples=[True, "2022-06-30"],
    )


class BacktestRequest(BacktestWindow):
    """Rules to backtest, as a rule file."""

    yaml: RuleYaml = Field(description="Rule file text", examples=[RULE_EXAMPLE])


class BacktestAlert(BaseModel):
    """One alert a backtest raised (the `tocsin rules backtest --format json` shape)."""

    rule: str = Field(description="Rule name", examples=["homicide_rate_record"])
    region: str = Field(description="ISO3 code", examples=["HND"])
    period: str = Field(description="Data period", examples=["2011"])
    severity: str = Field(description="Severity", examples=["warning"])
    value: float | None = Field(description="Value that made it fire", examples=[86.5])
    explanation: str = Field(description="Why, with the numbers")


class BacktestRead(BaseModel):
    """Every alert the rules would have raised over the history, in period order."""

    alerts: list[BacktestAlert] = Field(description="Alerts, in period order")


class ImpactRequest(RuleYamlBody):
    """A proposed edit of a saved rule, and the years to compare."""

    start: Year | None = Field(default=None, description="First year of alerts", examples=[2010])
    end: Year | None = Field(default=None, description="Last year of alerts", examples=[2023])


class ImpactRead(BaseModel):
    """What saving the edit would change in the rule's past alerts."""

    summary: str = Field(
        description="In a sentence", examples=["This edit adds 3 and removes 7 past alerts"]
    )
    saved_version: int = Field(description="The saved version compared against", examples=[2])
    added: int = Field(description="Past alerts only the edit raises", examples=[3])
    removed: int = Field(description="Past alerts only the saved version raises", examples=[7])
    unchanged: int = Field(description="Past alerts both raise", examples=[20])
    added_alerts: list[BacktestAlert] = Field(description="The added alerts, in period order")
    removed_alerts: list[BacktestAlert] = Field(description="The removed alerts, in period order")
