"""Evidence schemas: rule scorecards against reference episodes, and noise-budget tuning."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from backend.alerts.schemas import RuleName
from backend.rules.schemas import RULE_EXAMPLE, RuleYaml, Year

LEAD_HELP = "Periods before an onset in which an alert still catches it"
LAG_HELP = "Periods after an onset in which an alert still catches it"


class MatchWindow(BaseModel):
    """How close to an episode's onset an alert must be to catch it."""

    model_config = ConfigDict(extra="forbid")

    lead: int = Field(default=3, ge=0, le=1000, description=LEAD_HELP, examples=[3])
    lag: int = Field(default=1, ge=0, le=1000, description=LAG_HELP, examples=[1])


class ScorecardQuery(MatchWindow):
    """The years of alerts and onsets to count, and the catching window."""

    start: Year | None = Field(
        default=None, alias="from", description="First year of alerts and onsets", examples=[2000]
    )
    end: Year | None = Field(
        default=None, alias="to", description="Last year of alerts and onsets", examples=[2020]
    )


class ScorecardRequest(ScorecardQuery):
    """Unsaved rules (a rule file) to score, the years to count and the catching window."""

    yaml: RuleYaml = Field(description="Rule file text", examples=[RULE_EXAMPLE])


class CaughtRead(BaseModel):
    """An episode the rule caught, with its first catching alert."""

    region: str = Field(description="Region code", examples=["HND"])
    onset: str = Field(description="Onset period", examples=["2008"])
    first_alert: str = Field(description="Period of the first catching alert", examples=["2007"])
    lead: int = Field(description="Periods the alert came before the onset (negative: after)")


class MissedRead(BaseModel):
    """An episode in the rule's scope that no alert caught."""

    region: str = Field(description="Region code", examples=["URY"])
    onset: str = Field(description="Onset period", examples=["2018"])


class FeedbackRead(BaseModel):
    """How analysts labelled the rule's stored alerts."""

    useful: int = Field(description="Labelled useful", examples=[4])
    false_alarm: int = Field(description="Labelled false alarm", examples=[1])
    already_known: int = Field(description="Labelled already known", examples=[2])
    too_late: int = Field(description="Labelled too late", examples=[0])


class ScorecardRead(BaseModel):
    """One rule scored against the reference episodes in its scope."""

    rule: str = Field(description="Rule name", examples=["homicide_rate_record"])
    episodes: int = Field(description="Reference episodes in the rule's scope", examples=[9])
    alerts: int = Field(description="Alerts the backtest raised", examples=[40])
    true_positives: int = Field(description="Alerts within some episode's window", examples=[12])
    precision: float | None = Field(description="true_positives / alerts; null with no alert")
    recall: float | None = Field(description="Episodes caught / episodes; null with none")
    median_lead: float | None = Field(
        description="Median periods from first alert to onset over caught episodes"
    )
    caught: list[CaughtRead] = Field(description="Episodes caught, by region then onset")
    missed: list[MissedRead] = Field(description="Episodes missed, by region then onset")
    feedback: FeedbackRead = Field(description="Feedback labels on the rule's stored alerts")


class ScorecardPage(BaseModel):
    """Scorecards, one per rule, in rule-file order."""

    items: list[ScorecardRead] = Field(description="One scorecard per rule")


class NoiseBudgetQuery(MatchWindow):
    """The most alerts per quarter an analyst is willing to read."""

    max_per_quarter: float = Field(
        ge=0, le=1_000_000, description="Alert budget per quarter", examples=[2.0]
    )


class NoiseBudgetRequest(NoiseBudgetQuery):
    """An unsaved rule file, which of its rules to tune, and the alert budget."""

    yaml: RuleYaml = Field(description="Rule file text", examples=[RULE_EXAMPLE])
    rule: RuleName | None = Field(
        default=None,
        description="Rule to tune; may be left out when the file holds one rule",
        examples=["homicide_rate_record"],
    )


class CandidateRead(BaseModel):
    """One value tried for the tunable parameter."""

    value: float = Field(description="Parameter value", examples=[5.0])
    alerts_per_quarter: float = Field(description="Backtested alerts per quarter of history")
    recall: float | None = Field(description="Recall against the episodes in scope")
    precision: float | None = Field(description="Precision against the episodes in scope")


class NoiseBudgetRead(BaseModel):
    """The value of the rule's main parameter with the best recall within the budget."""

    rule: str = Field(description="Rule name", examples=["homicide_rate_record"])
    parameter: str = Field(description="The operator's tunable parameter", examples=["floor"])
    current: float = Field(description="Its value in the rule", examples=[2.0])
    suggested: float | None = Field(
        description="Best recall within budget (ties: fewer alerts); null when no value fits "
        "or no reference episode is in the rule's scope",
        examples=[6.5],
    )
    alerts_per_quarter: float | None = Field(description="Alerts per quarter at the suggestion")
    recall: float | None = Field(description="Recall at the suggestion")
    budget: float = Field(description="The budget asked for (alerts per quarter)", examples=[2.0])
    candidates: list[CandidateRead] = Field(description="Every value tried, ascending")
