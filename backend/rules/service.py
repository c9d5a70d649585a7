"""Rules in the database: import versions, load the active set, evaluate and backtest.

Each rule's definition is stored as canonical YAML (the validated rule dumped with its
defaults left out), so re-importing an unchanged file adds no version, comments and key
order never count as a change, and a stored version always loads back to the same rule.
Composites (``all``/``any`` of clauses) are stored, versioned and evaluated like rules.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import cast

import pandas as pd
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

import rules as rule_core
from backend.alerts.grouping import ROLLUP_MIN_MEMBERS, GroupingSummary, regroup
from backend.alerts.service import (
    ApplySummary,
    EvaluatedScope,
    RuleRef,
    apply_candidates,
    delete_demo_alerts,
)
from backend.observations.models import Observation
from backend.observations.panel import (
    known_on,
    load_panel,
    load_vintages,
    region_meta,
    vintage_dates,
)
from backend.observations.upsert import period_start
from backend.regions.models import Region
from backend.rules.models import Rule as RuleRow
from backend.rules.models import RuleVersion
from backend.sources.models import Indicator
from backend.timeutil import utcnow
from rules import AlertCandidate, Composite, Rule, RuleSet
from rules.composites import to_cadence
from rules.periods import detect_cadence

Definition = Rule | Composite  # what one stored rule version holds


class StoredRuleError(ValueError):
    """Stored rule versions that no longer load (for example an operator was removed)."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        super().__init__("; ".join(self.messages))


@dataclass(frozen=True)
class ActiveRule:
    """An enabled rule or composite, parsed from its current stored version."""

    rule: Definition
    rule_id: int
    version: int
    group: str

    @property
    def ref(self) -> RuleRef:
        """Return the reference alerts keep to this version."""
        return RuleRef(rule_id=self.rule_id, version=self.version)


@dataclass(frozen=True)
class ImportSummary:
    """Which rules an import created, gave a new version, or left as they were."""

    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvaluationSummary:
    """What one evaluation read, raised and changed."""

    rules: int = 0
    observations: int = 0
    candidates: int = 0
    alerts: ApplySummary = field(default_factory=ApplySummary)
    grouping: GroupingSummary = field(default_factory=GroupingSummary)


def definitions(rule_set: RuleSet) -> list[Definition]:
    """Return a rule set's rules, then its composites, in file and group order."""
    return [*rule_set.rules, *rule_set.composites]


def split_definitions(items: Iterable[Definition]) -> tuple[list[Rule], list[Composite]]:
    """Return the plain rules and the composites among the definitions."""
    chosen = list(items)
    composites = [item for item in chosen if isinstance(item, Composite)]
    return [item for item in chosen if isinstance(item, Rule)], composites


def indicators_of(items: Iterable[Definition]) -> set[str]:
    """Return every indicator code the rules and composites read."""
    return {code for item in items for code in item.indicators}


def definition_yaml(rule: Definition) -> str:
    """Return the canonical YAML stored for a rule or composite."""
    data = rule.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def group_key(definition: object) -> str:
    """Return the rule-file key a stored definition goes under: rules or composites."""
    is_composite = isinstance(definition, dict) and ("all" in definition or "any" in definition)
    return "composites" if is_composite else "rules"


def _parse_definition(text: str, group: str, label: str) -> Definition:
    data = yaml.safe_load(text)
    document = {"groups": [{"name": group, group_key(data): [data]}]}
    loaded = rule_core.load_rules_text(yaml.safe_dump(document, sort_keys=False), label)
    return definitions(loaded)[0]


def import_rule_set(
    *,
    session: Session,
    rule_set: RuleSet,
    author: str,
    reason: str,
    at: datetime | None = None,
    keep_existing: bool = False,
) -> ImportSummary:
    """Store every rule of the set; a rule gets a new version only when its YAML changed.

    With ``keep_existing`` only rules missing from the database are added, so an
    analyst's edits to a stored rule survive (the demo load imports the pack this way).
    """
    at = at or utcnow()
    stored = {row.name: row for row in session.scalars(select(RuleRow))}
    current = _current_definitions(session, stored.values())
    outcome: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": []}
    for group in rule_set.groups:
        members: list[Definition] = [*group.rules, *group.composites]
        for rule in members:
            text = definition_yaml(rule)
            row = stored.get(rule.name)
            if row is not None and (keep_existing or current.get(row.id) == text):
                outcome["unchanged"].append(rule.name)
                continue
            outcome["created" if row is None else "updated"].append(rule.name)
            row = row or _new_rule_row(session, rule.name, group.name, at)
            row.group_name = group.name
            row.current_version += 1
            session.add(
                RuleVersion(rule_id=row.id, version=row.current_version, definition=text,
                            author=author, reason=reason, created_at=at)
            )  # fmt: skip
    session.flush()
    return ImportSummary(*(tuple(outcome[k]) for k in ("created", "updated", "unchanged")))


def _new_rule_row(session: Session, name: str, group: str, at: datetime) -> RuleRow:
    row = RuleRow(name=name, group_name=group, current_version=0, created_at=at)
    session.add(row)
    session.flush()
    return row


def import_rule_files(
    *,
    session: Session,
    paths: Iterable[str | Path],
    author: str,
    reason: str,
    at: datetime | None = None,
    keep_existing: bool = False,
) -> ImportSummary:
    """Validate rule files and store their rules (raises rules.RuleFileError when invalid)."""
    return import_rule_set(
        session=session,
        rule_set=rule_core.load_rule_files(paths),
        author=author,
        reason=reason,
        at=at,
        keep_existing=keep_existing,
    )


def _current_definitions(session: Session, rows: Iterable[RuleRow]) -> dict[int, str]:
    wanted = {row.id: row.current_version for row in rows}
    if not wanted:
        return {}
    query = select(RuleVersion.rule_id, RuleVersion.version, RuleVersion.definition).where(
        RuleVersion.rule_id.in_(list(wanted))
    )
    return {
        rule_id: text
        for rule_id, version, text in session.execute(query)
        if wanted[rule_id] == version
    }


def active_rules(*, session: Session) -> list[ActiveRule]:
    """Return the enabled rules parsed from their current versions, by group and name."""
    query = (
        select(RuleRow, RuleVersion.definition)
        .join(
            RuleVersion,
            (RuleVersion.rule_id == RuleRow.id) & (RuleVersion.version == RuleRow.current_version),
        )
        .where(RuleRow.enabled.is_(True))
        .order_by(RuleRow.group_name, RuleRow.name)
    )
    found: list[ActiveRule] = []
    problems: list[str] = []
    for row, text in session.execute(query):
        label = f"rule {row.name} v{row.current_version}"
        try:
            rule = _parse_definition(text, row.group_name, label)
        except rule_core.RuleFileError as exc:
            problems.extend(exc.messages)
            continue
        found.append(ActiveRule(rule, row.id, row.current_version, row.group_name))
    if problems:
        raise StoredRuleError(problems)
    return found


def _demo_cells(panel: pd.DataFrame) -> set[tuple[str, str, str]]:
    demo = panel.loc[panel["is_demo"], ["indicator", "region", "period"]]
    return set(demo.itertuples(index=False, name=None))


def _region_codes(session: Session, region_ids: Collection[int]) -> frozenset[str]:
    query = select(Region.code).where(Region.id.in_(sorted(region_ids)))
    return frozenset(session.scalars(query))


def _without_demo_data(session: Session, codes: Collection[str]) -> set[str]:
    demo = (
        select(Observation.id)
        .where(Observation.indicator_id == Indicator.id, Observation.is_demo.is_(True))
        .exists()
    )
    query = select(Indicator.code).where(Indicator.code.in_(sorted(codes)), ~demo)
    return set(session.scalars(query))


def _history(candidates: Sequence[AlertCandidate], panel: pd.DataFrame) -> frozenset[str]:
    """Return the fingerprints of alerts on periods older than their series' newest period.

    An alert speaks for one data period: once a newer period of the same series is in, the
    old alert is history (kept, resolved) and only the newest period's alert can be firing.
    A composite's alert speaks for its first clause's series, read at its own cadence.
    """
    if panel.empty:
        return frozenset()
    by_series = panel.groupby(["indicator", "region"])["period"].max()
    newest = cast("dict[tuple[str, str], str]", by_series.to_dict())
    return frozenset(c.fingerprint for c in candidates if not _is_newest(c, newest))


def _is_newest(candidate: AlertCandidate, newest: Mapping[tuple[str, str], str]) -> bool:
    latest = newest.get((candidate.indicator, candidate.region))
    if latest is None:
        return False
    return to_cadence(latest, detect_cadence(candidate.period).name) == candidate.period


def _apply_by_kind(
    session: Session,
    candidates: Sequence[AlertCandidate],
    demo: set[tuple[str, str, str]],
    history: frozenset[str],
    refs: Mapping[str, RuleRef],
    scope: EvaluatedScope,
    at: datetime,
) -> ApplySummary:
    """Apply the candidates raised on real data and on demo data, each marked as such."""
    totals = ApplySummary()
    for is_demo in (False, True):
        # Both passes run even when empty: each resolves its own kind's stale alerts.
        part = [c for c in candidates if ((c.indicator, c.region, c.period) in demo) is is_demo]
        totals += apply_candidates(
            session=session,
            candidates=part,
            rule_versions=refs,
            detected_at=at,
            is_demo=is_demo,
            scope=scope,
            history=history,
        )
    return totals


def evaluate_changed(
    *,
    session: Session,
    indicator_codes: Collection[str],
    region_ids: Collection[int] | None,
    detected_at: datetime | None = None,
    rollup_min: int = ROLLUP_MIN_MEMBERS,
) -> EvaluationSummary:
    """Re-evaluate the active rules that read the changed indicators and apply the alerts.

    Loads the whole history of the touched series (every region when region_ids is
    None). Alerts raised on demo observations are marked demo; demo alerts of an
    indicator whose demo data a real ingest replaced are deleted. Then the rules'
    regional roll-ups (from ``rollup_min`` countries of a sub-region) and the mutes are
    refreshed.
    """
    changed = set(indicator_codes)
    selected = [a for a in active_rules(session=session) if a.rule.indicators & changed]
    if not selected:
        return EvaluationSummary()
    codes = indicators_of(a.rule for a in selected)
    delete_demo_alerts(session=session, indicator_codes=_without_demo_data(session, codes))
    return _evaluate(session, selected, region_ids, detected_at, rollup_min)


def _evaluate(
    session: Session,
    selected: Sequence[ActiveRule],
    region_ids: Collection[int] | None,
    detected_at: datetime | None,
    rollup_min: int = ROLLUP_MIN_MEMBERS,
) -> EvaluationSummary:
    """Backtest the selected rules over their series, apply the alerts, then regroup them."""
    items = [a.rule for a in selected]
    panel = load_panel(session=session, indicator_codes=indicators_of(items), region_ids=region_ids)
    candidates = _run(items, panel, region_meta(session=session))
    scope = EvaluatedScope(
        rules=frozenset(a.rule.name for a in selected),
        regions=None if region_ids is None else _region_codes(session, region_ids),
    )
    refs = {a.rule.name: a.ref for a in selected}
    at = detected_at or utcnow()
    history = _history(candidates, panel)
    totals = _apply_by_kind(session, candidates, _demo_cells(panel), history, refs, scope, at)
    grouping = regroup(session=session, rules=scope.rules, detected_at=at, min_members=rollup_min)
    return EvaluationSummary(len(selected), len(panel), len(candidates), totals, grouping)


def evaluate_all(
    *,
    session: Session,
    detected_at: datetime | None = None,
    rollup_min: int = ROLLUP_MIN_MEMBERS,
) -> EvaluationSummary:
    """Evaluate every active rule over the whole database and apply the alerts."""
    codes = indicators_of(a.rule for a in active_rules(session=session))
    return evaluate_changed(
        session=session,
        indicator_codes=codes,
        region_ids=None,
        detected_at=detected_at,
        rollup_min=rollup_min,
    )


def _run(
    items: Iterable[Definition], panel: pd.DataFrame, meta: pd.DataFrame
) -> list[AlertCandidate]:
    """Backtest rules and composites over one panel."""
    plain, composites = split_definitions(items)
    return rule_core.backtest(plain, panel, region_meta=meta, composites=composites)


def backtest(
    *,
    session: Session,
    rules: Iterable[Definition],
    start: int | None = None,
    end: int | None = None,
    as_known_then: bool | date = False,
) -> list[AlertCandidate]:
    """Return every candidate the rules raise over the database's history, in period order.

    ``start`` and ``end`` are years (inclusive) bounding the alerts' periods; the whole
    history is still read so that look-back windows see the years before ``start``.
    ``as_known_then`` replays the releases one by one (see ``replay``); a date stops the
    replay at the releases published by then.
    """
    selected = list(rules)
    if as_known_then is not False:
        until = None if as_known_then is True else as_known_then
        found = replay(session=session, rules=selected, until=until)
    else:
        panel = load_panel(session=session, indicator_codes=indicators_of(selected))
        found = _run(selected, panel, region_meta(session=session))
    return _in_order(found, start, end)


def replay(
    *, session: Session, rules: Iterable[Definition], until: date | None = None
) -> list[AlertCandidate]:
    """Return the alerts the rules raised release by release, each when it was first raised.

    At each distinct vintage date the rules see only the values published by then; an
    alert is kept from the first release that raised it (a later revision that takes it
    away does not unsay it), with that date in ``details["known_on"]`` and its sentence.
    """
    selected = list(rules)
    vintages = load_vintages(session=session, indicator_codes=indicators_of(selected), until=until)
    meta = region_meta(session=session)
    first: dict[str, AlertCandidate] = {}
    for day in vintage_dates(vintages):
        for candidate in _run(selected, known_on(vintages, day), meta):
            if candidate.fingerprint not in first:
                first[candidate.fingerprint] = _raised_on(candidate, day)
    return list(first.values())


def _raised_on(candidate: AlertCandidate, day: date) -> AlertCandidate:
    """Return the candidate marked with the release date that first raised it."""
    return replace(
        candidate,
        explanation=f"{candidate.explanation} (raised with the data published by {day})",
        details={**candidate.details, "known_on": day.isoformat()},
    )


def _within(period: str, start: int | None, end: int | None) -> bool:
    year = int(period[:4])
    return (start is None or year >= start) and (end is None or year <= end)


def parse_definition(text: str, group: str, label: str) -> Definition:
    """Parse a stored definition back into its rule or composite (raises RuleFileError)."""
    return _parse_definition(text, group, label)


def evaluate_rules(
    *, session: Session, names: Collection[str], detected_at: datetime | None = None
) -> EvaluationSummary:
    """Evaluate the named active rules over the whole database and apply their alerts.

    Used after a rule gets a new version: its alerts then speak for that version, and its
    open alerts the new version no longer raises are resolved.
    """
    selected = [a for a in active_rules(session=session) if a.rule.name in names]
    if not selected:
        return EvaluationSummary()
    return _evaluate(session, selected, None, detected_at)


def backtest_pair(
    *, session: Session, saved: Definition, proposed: Definition, start: int | None = None,
    end: int | None = None,
) -> tuple[list[AlertCandidate], list[AlertCandidate]]:  # fmt: skip
    """Backtest a saved rule and a proposed edit of it over one panel, each in period order."""
    panel = load_panel(session=session, indicator_codes=indicators_of([saved, proposed]))
    meta = region_meta(session=session)
    saved_found = _run([saved], panel, meta)
    proposed_found = _run([proposed], panel, meta)
    return _in_order(saved_found, start, end), _in_order(proposed_found, start, end)


def _in_order(
    found: Iterable[AlertCandidate], start: int | None, end: int | None
) -> list[AlertCandidate]:
    return sorted(
        (c for c in found if _within(c.period, start, end)),
        key=lambda c: (period_start(c.period), c.region, c.rule),
    )
