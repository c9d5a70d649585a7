"""Alert grouping after an evaluation: regional roll-ups and inhibition.

Roll-up: when at least ``min_members`` countries of one M49 sub-region fire the same rule
for the same data period, one regional alert (region = the sub-region, ``is_rollup``)
bundles them and lists them in ``details["members"]``; it resolves when fewer remain.
Inhibition: a firing alert mutes the open lower-severity alerts of the same region and
theme label (``muted_by_id``); their state stays, and the inbox can leave them out. Both
are recomputed from the stored alerts, so applying them twice changes nothing, and every
change is a transition and an event like any other alert change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from backend.alerts.models import SEVERITIES, Alert
from backend.alerts.service import (
    OPEN_STATES,
    RESOLVED,
    SYSTEM_ACTOR,
    Move,
    record_moves,
)
from backend.regions.models import Region
from rules import fingerprint

FIRING = "firing"
ROLLUP_MIN_MEMBERS = 3  # countries of one sub-region firing the same rule and period
THEME_LABEL = "theme"
_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}

_Key = tuple[str, str, int]  # rule, period, sub-region id


@dataclass(frozen=True)
class GroupingSummary:
    """How one regrouping changed the roll-ups and the mutes."""

    rollups_fired: int = 0
    rollups_resolved: int = 0
    muted: int = 0
    unmuted: int = 0


@dataclass(frozen=True)
class _Member:
    alert: Alert
    code: str
    subregion_id: int


def _firing_members(session: Session, rules: Collection[str]) -> dict[_Key, list[_Member]]:
    """Return the firing country alerts of the rules, by rule, period and sub-region."""
    query = (
        select(Alert, Region.code, Region.subregion_id)
        .join(Region, Region.id == Alert.region_id)
        .where(
            Alert.state == FIRING,
            Alert.is_rollup.is_(False),
            Alert.rule_name.in_(sorted(rules)),
            Region.subregion_id.is_not(None),
        )
    )
    groups: dict[_Key, list[_Member]] = defaultdict(list)
    for alert, code, subregion_id in session.execute(query):
        if subregion_id is not None:  # the query leaves them out; this tells mypy
            key = (alert.rule_name, alert.period, subregion_id)
            groups[key].append(_Member(alert, code, subregion_id))
    return groups


def _units(session: Session, ids: Collection[int]) -> dict[int, tuple[str, str]]:
    """Return the code and name of each sub-region."""
    query = select(Region.id, Region.code, Region.name).where(Region.id.in_(sorted(ids)))
    return {region_id: (code, name) for region_id, code, name in session.execute(query)}


def _explanation(members: Sequence[_Member], unit: str, minimum: int) -> str:
    first = members[0].alert
    codes = ", ".join(m.code for m in members)
    return (
        f"{len(members)} countries of {unit} fire {first.rule_name} for {first.period} "
        f"({codes}); a regional alert bundles them from {minimum} countries."
    )


def _details(members: Sequence[_Member], minimum: int) -> dict[str, object]:
    return {
        "min_members": minimum,
        "members": [
            {
                "alert_id": m.alert.id,
                "region": m.code,
                "severity": m.alert.severity,
                "value": m.alert.value,
            }
            for m in members
        ],
    }


def _fill(rollup: Alert, members: Sequence[_Member], unit: str, minimum: int) -> None:
    """Copy what the members say onto their roll-up: worst severity, newest version, why."""
    top = max(members, key=lambda m: _RANK.get(m.alert.severity, -1)).alert
    rollup.severity = top.severity
    rollup.rule_id = top.rule_id
    rollup.rule_version = max(m.alert.rule_version for m in members)
    rollup.labels = dict(top.labels or {})
    rollup.explanation = _explanation(members, unit, minimum)
    rollup.details = _details(members, minimum)
    rollup.is_demo = all(m.alert.is_demo for m in members)


def _new_rollup(members: Sequence[_Member], key: str, at: datetime) -> Alert:
    first = members[0].alert
    return Alert(
        fingerprint=key,
        rule_name=first.rule_name,
        rule_version=first.rule_version,
        region_id=members[0].subregion_id,
        indicator_code=first.indicator_code,
        period=first.period,
        detected_at=at,
        state=FIRING,
        triage="new",
        is_rollup=True,
    )


def _existing_rollups(
    session: Session, rules: Collection[str], fingerprints: Collection[str]
) -> dict[str, Alert]:
    """Return the open roll-ups of the rules and the roll-ups with these fingerprints."""
    query = select(Alert).where(
        Alert.is_rollup.is_(True),
        or_(
            Alert.state.in_(OPEN_STATES) & Alert.rule_name.in_(sorted(rules)),
            Alert.fingerprint.in_(sorted(fingerprints)),
        ),
    )
    return {alert.fingerprint: alert for alert in session.scalars(query)}


def _sized(
    groups: dict[_Key, list[_Member]], units: dict[int, tuple[str, str]], minimum: int
) -> dict[str, tuple[list[_Member], str]]:
    """Return the groups big enough for a roll-up, by fingerprint, with the unit's name."""
    found: dict[str, tuple[list[_Member], str]] = {}
    for (rule, period, unit_id), members in groups.items():
        if len(members) >= minimum and unit_id in units:
            code, name = units[unit_id]
            ordered = sorted(members, key=lambda m: m.code)
            found[fingerprint(rule, code, period)] = (ordered, name)
    return found


def refresh_rollups(
    *,
    session: Session,
    rules: Collection[str],
    detected_at: datetime,
    min_members: int = ROLLUP_MIN_MEMBERS,
) -> list[Move]:
    """Fire, update and resolve the rules' regional roll-ups; return the state moves."""
    groups = _firing_members(session, rules)
    units = _units(session, {unit_id for _, _, unit_id in groups})
    wanted = _sized(groups, units, min_members)
    existing = _existing_rollups(session, rules, wanted)
    moves: list[Move] = []
    for key, (members, unit) in wanted.items():
        rollup = existing.get(key)
        if rollup is None:
            rollup = _new_rollup(members, key, detected_at)
            session.add(rollup)
            moves.append(Move(rollup, None))
        elif rollup.state != FIRING:
            moves.append(Move(rollup, rollup.state))
            rollup.state = FIRING
        _fill(rollup, members, unit, min_members)
    for key, rollup in existing.items():
        if key not in wanted and rollup.state in OPEN_STATES:
            note = f"fewer than {min_members} countries of the sub-region fire it"
            moves.append(Move(rollup, rollup.state, note))
            rollup.state = RESOLVED
    return moves


def _mute_candidates(session: Session) -> list[Alert]:
    """Return the open alerts, and closed ones still marked muted."""
    query = select(Alert).where(or_(Alert.state.in_(OPEN_STATES), Alert.muted_by_id.is_not(None)))
    return list(session.scalars(query))


def _muter(alerts: Iterable[Alert]) -> Alert | None:
    """Return the firing alert of highest severity (the oldest among equals)."""
    firing = [a for a in alerts if a.state == FIRING]
    if not firing:
        return None
    return max(firing, key=lambda a: (_RANK.get(a.severity, -1), -a.id))


def _wanted_mutes(alerts: Sequence[Alert]) -> dict[int, int | None]:
    """Return, per alert id, the id of the alert that should mute it (None: none)."""
    groups: dict[tuple[int, str, bool], list[Alert]] = defaultdict(list)
    for alert in alerts:
        theme = (alert.labels or {}).get(THEME_LABEL)
        if alert.state in OPEN_STATES and theme:
            groups[(alert.region_id, theme, alert.is_demo)].append(alert)
    wanted: dict[int, int | None] = {alert.id: None for alert in alerts}
    for members in groups.values():
        top = _muter(members)
        if top is None:
            continue
        for alert in members:
            if _RANK.get(alert.severity, -1) < _RANK.get(top.severity, -1):
                wanted[alert.id] = top.id
    return wanted


def refresh_mutes(*, session: Session) -> list[Move]:
    """Set or clear ``muted_by_id`` on every alert as inhibition wants; return the moves."""
    alerts = _mute_candidates(session)
    by_id = {alert.id: alert for alert in alerts}
    moves: list[Move] = []
    for alert_id, muter in _wanted_mutes(alerts).items():
        alert = by_id[alert_id]
        if alert.muted_by_id == muter:
            continue
        previous = None if alert.muted_by_id is None else str(alert.muted_by_id)
        alert.muted_by_id = muter
        note = (
            f"muted: alert {muter} fires at a higher severity for the same region and theme"
            if muter is not None
            else "no longer muted"
        )
        moves.append(Move(alert, previous, note, field="muted_by"))
    return moves


def regroup(
    *,
    session: Session,
    rules: Collection[str],
    detected_at: datetime,
    min_members: int = ROLLUP_MIN_MEMBERS,
    actor: str = SYSTEM_ACTOR,
) -> GroupingSummary:
    """Refresh the rules' roll-ups, then every mute, and record the changes."""
    rollups = refresh_rollups(
        session=session, rules=rules, detected_at=detected_at, min_members=min_members
    )
    session.flush()  # new roll-ups need ids before they can mute or be recorded
    mutes = refresh_mutes(session=session)
    session.flush()
    record_moves(session=session, moves=[*rollups, *mutes], at=detected_at, actor=actor)
    return GroupingSummary(
        rollups_fired=sum(1 for m in rollups if m.alert.state == FIRING),
        rollups_resolved=sum(1 for m in rollups if m.alert.state == RESOLVED),
        muted=sum(1 for m in mutes if m.alert.muted_by_id is not None),
        unmuted=sum(1 for m in mutes if m.alert.muted_by_id is None),
    )
