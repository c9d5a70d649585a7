"""Evidence views of the rules workbench: the scorecard against reference episodes and the
noise-budget suggestion, each with the API's error as a message rather than a blank panel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dash import dcc, html

from dashboard import api_client, figures_rules
from dashboard.figures import GRAPH_CONFIG, format_value
from dashboard.rules_views import NOTHING, message

NO_EPISODES = (
    "No reference episodes to score against yet: add them (region, onset period, label) "
    "to see precision, recall and lead time."
)


def scorecard_view(api_url: str, text: str) -> Any:
    """Return the edited rules' scorecards: precision and recall bars, caught and missed."""
    try:
        items = api_client.rule_scorecard(api_url, text)
    except api_client.ApiError as exc:
        return message(f"The scorecard could not be computed. {exc}")
    if not items or not any(item.get("episodes") for item in items):
        return html.P(NO_EPISODES, className="empty-state")
    return [
        dcc.Graph(
            figure=figures_rules.scorecard_figure(items),
            config=GRAPH_CONFIG | {"displayModeBar": False},  # type: ignore[arg-type]
            className="scorecard-graph",
        ),
        *[_scorecard_facts(item) for item in items],
    ]


def _scorecard_facts(item: Mapping[str, Any]) -> html.Div:
    """Return one rule's counts, lead time, episodes caught and missed, and its feedback."""
    lead = item.get("median_lead")
    caught = ", ".join(
        f"{c['region']} {c['onset']} (alert {c['first_alert']}, lead {c['lead']})"
        for c in item.get("caught", [])
    )
    missed = ", ".join(f"{m['region']} {m['onset']}" for m in item.get("missed", []))
    feedback = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in item.get("feedback", {}).items())
    facts = [
        ("Episodes", item["episodes"]),
        ("Alerts", f"{item['alerts']} ({item['true_positives']} on an episode)"),
        ("Median lead", NOTHING if lead is None else f"{format_value(lead)} period(s)"),
        ("Caught", caught or "none"),
        ("Missed", missed or "none"),
        ("Feedback", feedback or "no labels yet"),
    ]
    return html.Div(
        [
            html.H3(item["rule"]),
            html.Dl([part for label, value in facts for part in (html.Dt(label), html.Dd(value))]),
        ],
        className="scorecard-facts",
    )


def noise_view(
    api_url: str, text: str, *, rule: str, max_per_quarter: float | None
) -> tuple[Any, dict[str, Any] | None]:
    """Return the noise-budget suggestion for the rule, and what applying it would set."""
    if max_per_quarter is None or max_per_quarter <= 0:
        return html.P("Give a budget above 0 alerts per quarter.", className="empty-state"), None
    try:
        budget = api_client.noise_budget(api_url, text, max_per_quarter=max_per_quarter, rule=rule)
    except api_client.ApiError as exc:
        return message(f"The noise budget could not be computed. {exc}"), None
    parameter, suggested = budget["parameter"], budget["suggested"]
    table = _candidates_table(parameter, budget["candidates"], suggested)
    if suggested is None:
        return [_no_suggestion(budget, rule, max_per_quarter), table], None
    headline = html.P(
        [
            html.Strong(f"Suggested {parameter}: {format_value(suggested)}"),
            f" (now {format_value(budget['current'])}): "
            f"{budget['alerts_per_quarter']:.2f} alerts a quarter, "
            f"recall {_percent(budget.get('recall'))}.",
        ],
        className="noise-headline",
    )
    suggestion = {"rule": budget.get("rule", rule), "parameter": parameter, "value": suggested}
    return [headline, table], suggestion


def _no_suggestion(budget: Mapping[str, Any], rule: str, max_per_quarter: float) -> html.P:
    """Say why no value is suggested: none fits the budget, or no recall to rank them by."""
    parameter = budget["parameter"]
    within = [c for c in budget["candidates"] if c["alerts_per_quarter"] <= max_per_quarter]
    if within:
        note = (
            f"{len(within)} values of {parameter} fit the budget, but without reference "
            "episodes there is no recall to choose between them: add episodes, or pick one below."
        )
    else:
        note = f"No value of {parameter} keeps {rule} within {max_per_quarter:g} alerts a quarter."
    return html.P(note, className="empty-state")


def _candidates_table(
    parameter: str, candidates: Sequence[Mapping[str, Any]], suggested: float | None
) -> Any:
    """Return the values the budget search tried, with their alert rate, recall and precision.

    The suggested value's row is marked.
    """
    header = html.Tr([html.Th(h) for h in (parameter, "alerts / quarter", "recall", "precision")])
    body = [
        html.Tr(
            [
                html.Td(format_value(c["value"]), className="num"),
                html.Td(f"{c['alerts_per_quarter']:.2f}", className="num"),
                html.Td(_percent(c.get("recall")), className="num"),
                html.Td(_percent(c.get("precision")), className="num"),
            ],
            className="suggested" if c["value"] == suggested else None,
        )
        for c in candidates
    ]
    table = html.Table([html.Thead(header), html.Tbody(body)], className="data-table")
    return html.Div(table, className="scroll-box noise-candidates")


def _percent(value: float | None) -> str:
    return NOTHING if value is None else f"{value:.0%}"
