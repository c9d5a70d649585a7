"""The alert lifecycle writes: turn rule candidates into alerts, transitions and events.

One alert per fingerprint (rule, region, data period). Applying the candidates of an
evaluation creates the alerts it raised for the first time, moves the ones whose state
changed, and resolves the open alerts of the evaluated rules and regions that the
evaluation no longer raises (a revised value can take a record away). Every state change
is an ``AlertTransition`` and an ``alert`` event for the live stream. Regional roll-ups and
inhibition (``backend.alerts.grouping``) record their changes through ``record_moves``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.alerts.models import Alert, AlertTransition
from backend.events.service import append_events
from backend.regions.models import Region
from rules import AlertCandidate

OPEN_STATES = ("pending", "firing")
RESOLVED = "resolved"
SYSTEM_ACTOR = "system:rules"
# Keeps IN lists well under SQLite's bound-parameter limit.
_CHUNK = 500

T = TypeVar("T")


class AlertServiceError(ValueError):
    """Candidates that cannot become alerts (unknown rule or region)."""


@dataclass(frozen=True)
class RuleRef:
    """The stored rule and version that produced a candidate."""

    rule_id: int | None
    version: int


@dataclass(frozen=True)
class EvaluatedScope:
    """What an evaluation covered: open alerts inside it that it did not raise get resolved.

    ``regions`` holds ISO3 codes; None means every region.
    """

    rules: frozenset[str]
    regions: frozenset[str] | None = None


@dataclass(frozen=True)
class ApplySummary:
    """How applying one evaluation changed the alerts."""

    created: int = 0
    changed: int = 0
    unchanged: int = 0
    resolved: int = 0

    def __add__(self, other: ApplySummary) -> ApplySummary:
        """Return the sum of two summaries."""
        return ApplySummary(
            self.created + other.created,
            self.changed + other.changed,
            self.unchanged + other.unchanged,
            self.resolved + other.resolved,
        )

    @property
    def transitions(self) -> int:
        """Return the number of state transitions written."""
        return self.created + self.changed + self.resolved


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _region_ids(session: Session, codes: Collection[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(codes)):
        rows = session.execute(select(Region.code, Region.id).where(Region.code.in_(chunk)))
        found.update({code: region_id for code, region_id in rows})
    missing = sorted(set(codes) - set(found))
    if missing:
        raise AlertServiceError(f"unknown region code(s): {', '.join(missing[:10])}")
    return found


def _existing(session: Session, fingerprints: Sequence[str]) -> dict[str, Alert]:
    found: dict[str, Alert] = {}
    for chunk in _chunks(fingerprints):
        alerts = session.scalars(select(Alert).where(Alert.fingerprint.in_(chunk)))
        found.update({alert.fingerprint: alert for alert in alerts})
    return found


def _open_in_scope(
    session: Session, scope: EvaluatedScope, region_ids: Mapping[str, int], is_demo: bool
) -> list[Alert]:
    query = select(Alert).where(
        Alert.state.in_(OPEN_STATES),
        Alert.rule_name.in_(sorted(scope.rules)),
        Alert.is_demo == is_demo,
        Alert.is_rollup.is_(False),  # roll-ups follow their members, not the candidates
    )
    if scope.regions is None:
        return list(session.scalars(query))
    ids = sorted(region_ids[code] for code in scope.regions if code in region_ids)
    found: list[Alert] = []
    for chunk in _chunks(ids):
        found.extend(session.scalars(query.where(Alert.region_id.in_(chunk))))
    return found


def _copy_numbers(alert: Alert, candidate: AlertCandidate, ref: RuleRef) -> None:
    alert.rule_id = ref.rule_id
    alert.rule_version = ref.version
    alert.severity = candidate.severity
    alert.value = candidate.value
    alert.baseline = candidate.baseline
    alert.threshold = candidate.threshold
    alert.explanation = candidate.explanation
    alert.details = dict(candidate.details)
    alert.labels = dict(candidate.labels)


def _new_alert(
    candidate: AlertCandidate, ref: RuleRef, region_id: int, detected_at: datetime, is_demo: bool
) -> Alert:
    alert = Alert(
        fingerprint=candidate.fingerprint,
        rule_name=candidate.rule,
        region_id=region_id,
        indicator_code=candidate.indicator,
        period=candidate.period,
        detected_at=detected_at,
        state=candidate.state,
        triage="new",
        is_demo=is_demo,
    )
    _copy_numbers(alert, candidate, ref)
    return alert


@dataclass(frozen=True)
class Move:
    """One change the engine made to an alert: its state, or the alert muting it."""

    alert: Alert
    previous: str | None
    note: str | None = None
    field: str = "state"

    @property
    def current(self) -> str | None:
        """Return the changed field's new value, as stored in the transition."""
        if self.field == "state":
            return self.alert.state
        muted_by = self.alert.muted_by_id
        return None if muted_by is None else str(muted_by)


def _rule_ref(rule_versions: Mapping[str, RuleRef], name: str) -> RuleRef:
    try:
        return rule_versions[name]
    except KeyError:
        raise AlertServiceError(f"no stored version given for rule {name!r}") from None


def _plan(
    session: Session,
    candidates: Sequence[AlertCandidate],
    rule_versions: Mapping[str, RuleRef],
    detected_at: datetime,
    is_demo: bool,
    history: Collection[str],
) -> tuple[list[Move], int, dict[str, int]]:
    """Create or update the candidates' alerts; return the moves, unchanged count, region ids."""
    region_ids = _region_ids(session, {c.region for c in candidates})
    existing = _existing(session, [c.fingerprint for c in candidates])
    moves: list[Move] = []
    unchanged = 0
    for candidate in candidates:
        ref = _rule_ref(rule_versions, candidate.rule)
        state = RESOLVED if candidate.fingerprint in history else candidate.state
        alert = existing.get(candidate.fingerprint)
        if alert is None:
            alert = _new_alert(candidate, ref, region_ids[candidate.region], detected_at, is_demo)
            alert.state = state
            session.add(alert)
            moves.append(Move(alert, None))
            continue
        _copy_numbers(alert, candidate, ref)
        alert.is_demo = is_demo  # a demo alert raised again on real data becomes real
        if alert.state == state:
            unchanged += 1
        else:
            moves.append(Move(alert, alert.state))
            alert.state = state
    return moves, unchanged, region_ids


def apply_candidates(
    *,
    session: Session,
    candidates: Iterable[AlertCandidate],
    rule_versions: Mapping[str, RuleRef],
    detected_at: datetime,
    actor: str = SYSTEM_ACTOR,
    is_demo: bool = False,
    scope: EvaluatedScope | None = None,
    history: Collection[str] = frozenset(),
) -> ApplySummary:
    """Write the alerts, transitions and events that one evaluation's candidates imply.

    ``rule_versions`` maps every evaluated rule name to its stored version; the scope of
    resolution defaults to those rules over every region. Candidates whose fingerprint is
    in ``history`` speak for a superseded data period and are recorded as resolved.
    """
    # The engine never repeats a fingerprint; if a caller merges runs, the last one wins.
    unique = list({c.fingerprint: c for c in candidates}.values())
    scope = scope or EvaluatedScope(rules=frozenset(rule_versions))
    moves, unchanged, region_ids = _plan(
        session, unique, rule_versions, detected_at, is_demo, history
    )
    changed = sum(1 for move in moves if move.previous is not None)
    raised = {c.fingerprint for c in unique}
    if scope.regions is not None:
        region_ids = {**region_ids, **_region_ids(session, scope.regions)}
    gone = [
        alert
        for alert in _open_in_scope(session, scope, region_ids, is_demo)
        if alert.fingerprint not in raised
    ]
    for alert in gone:
        moves.append(Move(alert, alert.state, "the rule no longer raises this alert"))
        alert.state = RESOLVED
    session.flush()
    record_moves(session=session, moves=moves, region_ids=region_ids, at=detected_at, actor=actor)
    return ApplySummary(
        created=len(moves) - changed - len(gone),
        changed=changed,
        unchanged=unchanged,
        resolved=len(gone),
    )


def _region_codes(
    session: Session, moves: Sequence[Move], known: Mapping[str, int]
) -> dict[int, str]:
    codes = {region_id: code for code, region_id in known.items()}
    missing = sorted({m.alert.region_id for m in moves} - set(codes))
    for chunk in _chunks(missing):
        rows = session.execute(select(Region.id, Region.code).where(Region.id.in_(chunk)))
        codes.update({region_id: code for region_id, code in rows})
    return codes


def record_moves(
    *,
    session: Session,
    moves: Sequence[Move],
    at: datetime,
    actor: str = SYSTEM_ACTOR,
    region_ids: Mapping[str, int] | None = None,
) -> None:
    """Write one transition and one event per move (``region_ids`` saves code look-ups)."""
    if not moves:
        return
    session.add_all(
        AlertTransition(
            alert_id=move.alert.id,
            at=at,
            actor=actor,
            field=move.field,
            from_value=move.previous,
            to_value=move.current,
            note=move.note,
        )
        for move in moves
    )
    codes = _region_codes(session, moves, region_ids or {})
    append_events(
        session=session,
        items=[("alert", _move_event(move, codes[move.alert.region_id])) for move in moves],
        at=at,
    )


def _move_event(move: Move, region: str) -> dict[str, object]:
    # A mute leaves the state as it was: the event says so, and what changed.
    previous = move.previous if move.field == "state" else move.alert.state
    return {**alert_event(move.alert, region, previous), "change": move.field}


def alert_event(alert: Alert, region: str, previous: str | None) -> dict[str, object]:
    """Return the live-stream payload of an alert's state change."""
    return {
        "alert_id": alert.id,
        "fingerprint": alert.fingerprint,
        "rule": alert.rule_name,
        "rule_version": alert.rule_version,
        "region": region,
        "indicator": alert.indicator_code,
        "period": alert.period,
        "state": alert.state,
        "previous_state": previous,
        "severity": alert.severity,
        "value": alert.value,
        "explanation": alert.explanation,
        "is_demo": alert.is_demo,
        "is_rollup": alert.is_rollup,
        "muted_by": alert.muted_by_id,
    }


def delete_demo_alerts(*, session: Session, indicator_codes: Collection[str] | None = None) -> int:
    """Delete demo alerts (of these indicators, or all); their transitions go with them."""
    statement = delete(Alert).where(Alert.is_demo.is_(True))
    if indicator_codes is not None:
        statement = statement.where(Alert.indicator_code.in_(sorted(indicator_codes)))
    done = session.execute(statement, execution_options={"synchronize_session": False})
    return int(getattr(done, "rowcount", 0) or 0)
