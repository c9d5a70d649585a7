"""Rules as analysts edit them over the API: read, create, version, validate, diff.

Rule text comes in as a rule file (groups of rules, as on disk), so a problem is
reported as ``yaml:LINE: what is wrong`` against the text the analyst sent.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

import rules as rule_core
from backend.audit.service import record
from backend.errors import Conflict, InvalidInput, NotFound
from backend.rules import service
from backend.rules.models import Rule as RuleRow
from backend.rules.models import RuleVersion
from backend.rules.service import Definition
from backend.sources.models import Indicator
from backend.users.models import User
from rules import AlertCandidate, RuleSet

SOURCE_NAME = "yaml"  # how messages name the request's rule text: "yaml:7: ..."


def parse_rule_file(text: str) -> RuleSet:
    """Load rule-file text, or raise InvalidInput (422) listing ``yaml:line: message``."""
    try:
        return rule_core.load_rules_text(text, SOURCE_NAME)
    except rule_core.RuleFileError as exc:
        raise InvalidInput(
            f"The rules are not valid: {exc.messages[0]}"
            + (f" (and {len(exc.messages) - 1} more)" if len(exc.messages) > 1 else ""),
            extra={"messages": exc.messages},
        ) from None
    except ValueError as exc:  # e.g. a rule name used twice across groups
        raise InvalidInput(
            f"The rules are not valid: {exc}", extra={"messages": [str(exc)]}
        ) from None


def missing_indicators(*, session: Session, rule_set: RuleSet) -> list[str]:
    """Return a warning per rule whose indicator has no row in the database yet."""
    items = service.definitions(rule_set)
    codes = service.indicators_of(items)
    known = set(session.scalars(select(Indicator.code).where(Indicator.code.in_(sorted(codes)))))
    return [
        f"{rule_set.origins.get(rule.name, SOURCE_NAME)}: warning: indicator "
        f"{code!r} is not in the database; the rule fires only once data arrives"
        for rule in items
        for code in sorted(rule.indicators - known)
    ]


@dataclass(frozen=True)
class StoredRule:
    """A rule row with its versions (newest first) and, when it loads, the parsed rule."""

    row: RuleRow
    versions: list[RuleVersion]
    rule: Definition | None

    @property
    def current(self) -> RuleVersion:
        """Return the current version."""
        return next(v for v in self.versions if v.version == self.row.current_version)

    def loaded(self) -> Definition:
        """Return the parsed current version, or raise Conflict when it no longer loads."""
        if self.rule is None:
            raise Conflict(f"The saved version of {self.row.name!r} no longer loads; save a fix")
        return self.rule

    def rule_file(self) -> str:
        """Return the current version as a rule file of one group, ready to edit."""
        definition = yaml.safe_load(self.current.definition)
        key = service.group_key(definition)
        document = {"groups": [{"name": self.row.group_name, key: [definition]}]}
        return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)

    def audit_state(self) -> dict[str, object]:
        """Return the before/after snapshot kept in the audit log."""
        return {
            "group": self.row.group_name,
            "version": self.row.current_version,
            "definition": self.current.definition,
        }


def _parsed(row: RuleRow, definition: str) -> Definition | None:
    try:
        return service.parse_definition(definition, row.group_name, f"rule {row.name}")
    except rule_core.RuleFileError:
        return None  # still listed; evaluation reports the broken version


def list_rules(*, session: Session) -> list[StoredRule]:
    """Return every rule with its versions, by group and name."""
    rows = session.scalars(select(RuleRow).order_by(RuleRow.group_name, RuleRow.name)).all()
    versions: dict[int, list[RuleVersion]] = {row.id: [] for row in rows}
    query = select(RuleVersion).order_by(RuleVersion.rule_id, RuleVersion.version.desc())
    for version in session.scalars(query):
        versions.setdefault(version.rule_id, []).append(version)
    return [_stored(row, versions[row.id]) for row in rows if versions[row.id]]


def _stored(row: RuleRow, versions: list[RuleVersion]) -> StoredRule:
    current = next(v for v in versions if v.version == row.current_version)
    return StoredRule(row, versions, _parsed(row, current.definition))


def get_rule(*, session: Session, name: str) -> StoredRule:
    """Return one rule with its versions, or raise NotFound."""
    row = session.scalar(select(RuleRow).where(RuleRow.name == name))
    if row is None:
        raise NotFound(f"No rule named {name!r}")
    query = select(RuleVersion).where(RuleVersion.rule_id == row.id)
    versions = list(session.scalars(query.order_by(RuleVersion.version.desc())))
    return _stored(row, versions)


def create_rules(*, session: Session, text: str, reason: str, actor: User) -> list[StoredRule]:
    """Store every rule of a rule file as version 1; Conflict when a name is taken."""
    rule_set = parse_rule_file(text)
    names = [rule.name for rule in service.definitions(rule_set)]
    taken = session.scalars(select(RuleRow.name).where(RuleRow.name.in_(names))).all()
    if taken:
        raise Conflict(
            f"Rule(s) already exist: {', '.join(sorted(taken))}; PUT /rules/NAME to edit"
        )
    service.import_rule_set(
        session=session, rule_set=rule_set, author=actor.username, reason=reason
    )
    saved = [get_rule(session=session, name=name) for name in names]
    for stored in saved:
        record(session=session, actor=actor, action="rule.create", entity="rule",
               entity_id=stored.row.name, after=stored.audit_state(), note=reason)  # fmt: skip
    return saved


def _one_rule(text: str, name: str) -> RuleSet:
    rule_set = parse_rule_file(text)
    found = [rule.name for rule in service.definitions(rule_set)]
    if found != [name]:
        raise InvalidInput(
            f"The rule file must hold exactly the rule {name!r}; it holds {found or 'none'}"
        )
    return rule_set


def update_rule(
    *, session: Session, name: str, text: str, reason: str, actor: User,
    base_version: int | None = None,
) -> StoredRule:  # fmt: skip
    """Save a new version of one rule; Conflict when unchanged or edited from a stale version."""
    stored = get_rule(session=session, name=name)
    rule_set = _one_rule(text, name)
    current = stored.row.current_version
    if base_version is not None and base_version != current:
        raise Conflict(
            f"Rule {name!r} is at version {current}, not {base_version}: reload it and edit again",
            extra={"current_version": current},
        )
    before = stored.audit_state()  # taken now: the import moves the row on
    summary = service.import_rule_set(
        session=session, rule_set=rule_set, author=actor.username, reason=reason
    )
    if not summary.updated:
        raise Conflict(f"No change: the rule equals version {current}")
    after = get_rule(session=session, name=name)
    record(session=session, actor=actor, action="rule.update", entity="rule", entity_id=name,
           before=before, after=after.audit_state(), note=reason)  # fmt: skip
    return after


@contextmanager
def rule_errors() -> Iterator[None]:
    """Turn the rule core's data and scope errors, and broken stored rules, into problems."""
    try:
        yield
    except service.StoredRuleError as exc:
        raise Conflict(f"Stored rules no longer load: {exc}") from None
    except (rule_core.PanelError, rule_core.ScopeError) as exc:
        raise InvalidInput(str(exc)) from None


def contract_row(candidate: AlertCandidate) -> dict[str, object]:
    """Return a candidate in the CLI backtest JSON shape (a non-finite value becomes null)."""
    value = candidate.value
    finite = value is not None and math.isfinite(value)
    return {
        "rule": candidate.rule,
        "region": candidate.region,
        "period": candidate.period,
        "severity": candidate.severity,
        "value": value if finite else None,
        "explanation": candidate.explanation,
    }


@dataclass(frozen=True)
class Impact:
    """The past alerts an edit adds and removes, against the saved version."""

    saved_version: int
    added: list[AlertCandidate]
    removed: list[AlertCandidate]
    unchanged: int

    @property
    def summary(self) -> str:
        """Return the impact in a sentence."""
        return (
            f"This edit adds {len(self.added)} and removes {len(self.removed)} past alerts "
            f"({self.unchanged} unchanged)"
        )


def _only_in(
    first: Sequence[AlertCandidate], second: Iterable[AlertCandidate]
) -> list[AlertCandidate]:
    others = {c.fingerprint for c in second}
    return [c for c in first if c.fingerprint not in others]


def impact(
    *, session: Session, name: str, text: str, start: int | None = None, end: int | None = None
) -> Impact:
    """Backtest the saved rule and the proposed YAML over one panel and diff the alerts."""
    stored = get_rule(session=session, name=name)
    saved = stored.loaded()
    proposed = service.definitions(_one_rule(text, name))[0]
    with rule_errors():
        saved_found, proposed_found = service.backtest_pair(
            session=session, saved=saved, proposed=proposed, start=start, end=end
        )
    added = _only_in(proposed_found, saved_found)
    return Impact(
        saved_version=stored.row.current_version,
        added=added,
        removed=_only_in(saved_found, proposed_found),
        unchanged=len(proposed_found) - len(added),
    )
