"""The default pack's rules written as DuckDB SQL window queries: the backtest reference.

Each rule becomes one query over the observations of its indicator, with calendar windows
as ``RANGE`` frames on an integer period ordinal (so a gap is a gap, as on the engine's
gap-free axis), graded levels as a ``CASE``, and the cooldown as a recursive walk over
each region's hits. Composites read each clause at the last period of its cadence inside
each year with an ``ASOF`` join. Only what the default pack uses is ported: operators
without a builder here, hysteresis, ``keep_firing_for``, scopes and non-yearly composites
raise ``Unported``, so the comparison never silently drops a rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import duckdb
import pandas as pd

from rules.model import SEVERITIES, Clause, Composite, Rule
from rules.operators import OperatorParams
from rules.operators_counts import StalenessParams
from rules.windows import TIE_TOLERANCE

Alert = tuple[str, str, str, str]  # rule, region, period, severity

# Integer ordinal of a period string, by its length: year, quarter (2020Q1), day.
_ORDINAL = """CASE length(period)
    WHEN 4 THEN CAST(period AS INTEGER)
    WHEN 6 THEN CAST(substr(period, 1, 4) AS INTEGER) * 4
        + CAST(substr(period, 6, 1) AS INTEGER) - 1
    ELSE CAST(CAST(period AS DATE) - DATE '1970-01-01' AS INTEGER) END"""
# The period label of an ordinal t, per cadence.
_LABEL = {
    "year": "CAST(t AS VARCHAR)",
    "quarter": "format('{}Q{}', t // 4, t % 4 + 1)",
    "day": "strftime(DATE '1970-01-01' + CAST(t AS INTEGER), '%Y-%m-%d')",
}
# The ordinal of the last period of this cadence inside year y.
_YEAR_END = {
    "year": "y",
    "quarter": "y * 4 + 3",
    "day": "CAST(make_date(y, 12, 31) - DATE '1970-01-01' AS INTEGER)",
}


class Unported(ValueError):
    """A rule uses something the SQL reference does not express."""


def load(con: duckdb.DuckDBPyConnection, panel: pd.DataFrame) -> None:
    """Register the panel and build the ``obs`` table: NaN as NULL, periods as ordinals."""
    con.register("panel", panel)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE obs AS SELECT indicator, region, period,"
        f" CASE WHEN isnan(value) THEN NULL ELSE value END AS value, {_ORDINAL} AS t FROM panel"
    )
    # Each indicator's first and last period: its gap-free axis.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE axis AS"
        " SELECT indicator, min(t) AS t0, max(t) AS t1 FROM obs GROUP BY indicator"
    )


def _prior(n: int) -> str:
    return f"(PARTITION BY region ORDER BY t RANGE BETWEEN {n} PRECEDING AND 1 PRECEDING)"


def _trailing(n: int) -> str:
    return f"(PARTITION BY region ORDER BY t RANGE BETWEEN {n - 1} PRECEDING AND CURRENT ROW)"


# An operator builder takes the params and a column suffix and returns the window columns
# it needs and the condition over them (NULL counts as false).
Builder = Callable[[Any, str], tuple[list[str], str]]


def _highest_in_n(p: Any, k: str) -> tuple[list[str], str]:
    columns = [f"max(value) OVER {_prior(p.periods)} AS base{k}",
               f"count(value) OVER {_prior(p.periods)} AS hist{k}"]  # fmt: skip
    record = f"(base{k} + {p.min_rise!r} * abs(base{k}))"
    condition = (
        f"hist{k} >= {p.required_history} AND value > {record} + {_slack(record)}"
        f" AND value >= {p.floor!r}"
    )
    return columns, condition


def _slack(bound: str) -> str:
    """Return the SQL of how far from a computed bound a value still ties with it."""
    return f"{TIE_TOLERANCE!r} * abs({bound})"


def _change(p: Any, k: str) -> str:
    # value >= base x (1 + min_change) is change >= min_change, compared as the engine
    # does: on the value's scale, a tie within TIE_TOLERANCE counting as reached.
    if p.direction == "up":
        bound = f"(base{k} * {1.0 + p.min_change!r})"
        moved = f">= {bound} - {_slack(bound)}"
    else:
        bound = f"(base{k} * {1.0 - p.min_change!r})"
        moved = f"<= {bound} + {_slack(bound)}"
    return (
        f"base{k} >= {p.min_baseline!r} AND base{k} > 0 AND value >= {p.floor!r} AND value {moved}"
    )


def _change_vs_rolling_mean(p: Any, k: str) -> tuple[list[str], str]:
    columns = [f"avg(value) OVER {_prior(p.periods)} AS base{k}",
               f"count(value) OVER {_prior(p.periods)} AS hist{k}"]  # fmt: skip
    return columns, f"hist{k} >= {p.required_history} AND {_change(p, k)}"


def _change_vs_previous(p: Any, k: str) -> tuple[list[str], str]:
    return [f"max(value) OVER {_prior(1)} AS base{k}"], _change(p, k)


def _trend_slope(p: Any, k: str) -> tuple[list[str], str]:
    # u: periods since the indicator's first, for known values only (as the engine's sums).
    u = "CASE WHEN value IS NOT NULL THEN t - t0 END"
    w = _trailing(p.periods)
    columns = [f"count(value) OVER {w} AS n{k}", f"sum({u}) OVER {w} AS su{k}",
               f"sum(value) OVER {w} AS sy{k}", f"sum({u} * {u}) OVER {w} AS suu{k}",
               f"sum({u} * value) OVER {w} AS suy{k}"]  # fmt: skip
    denominator = f"(n{k} * suu{k} - su{k} * su{k})"
    slope = f"(n{k} * suy{k} - su{k} * sy{k}) / {denominator}"
    measured = f"{slope} / abs(sy{k} / n{k})" if p.relative else slope
    condition = (
        f"value IS NOT NULL AND n{k} >= {p.min_points} AND {denominator} > 0"
        f" AND {measured} >= {p.min_slope - TIE_TOLERANCE * abs(p.min_slope)!r}"
        f" AND value >= {p.floor!r}"
    )
    return columns, condition


def _emergence(p: Any, k: str) -> tuple[list[str], str]:
    present = f"CASE WHEN value > {p.min_value!r} THEN 1 WHEN value IS NOT NULL THEN 0 END"
    w = _prior(p.absent_periods)
    columns = [f"max({present}) OVER {w} AS seen{k}", f"count(value) OVER {w} AS known{k}"]
    enough = 1 if p.missing == "absent" else p.absent_periods
    condition = f"value > {p.min_value!r} AND coalesce(seen{k}, 0) = 0 AND known{k} >= {enough}"
    return columns, condition


def _threshold_above(p: Any, k: str) -> tuple[list[str], str]:
    return [], f"value > {p.threshold!r}"


def _threshold_below(p: Any, k: str) -> tuple[list[str], str]:
    return [], f"value < {p.threshold!r}"


BUILDERS: dict[str, Builder] = {
    "highest_in_n": _highest_in_n,
    "change_vs_rolling_mean": _change_vs_rolling_mean,
    "change_vs_previous": _change_vs_previous,
    "trend_slope": _trend_slope,
    "emergence": _emergence,
    "threshold_above": _threshold_above,
    "threshold_below": _threshold_below,
}


def _builder(operator: str) -> Builder:
    if operator not in BUILDERS:
        raise Unported(f"operator {operator!r} has no SQL equivalent here")
    return BUILDERS[operator]


def _series(indicator: str) -> str:
    """Return a CTE body: the indicator's rows with t0, its first period ordinal."""
    quoted = indicator.replace("'", "''")
    return (
        "SELECT region, t, value, t0, t1 FROM obs JOIN axis USING (indicator)"
        f" WHERE indicator = '{quoted}'"
    )


def _graded(rule: Rule) -> str:
    """Return a query of (region, t, lvl) for every cell where some level holds."""
    columns: list[str] = []
    cases: list[tuple[int, str]] = []
    for i, (severity, params) in enumerate(rule.level_params()):
        needed, condition = _builder(rule.operator)(params, f"_{i}")
        columns.extend(needed)
        cases.append((SEVERITIES.index(severity), condition))
    ordered = sorted(cases, key=lambda case: -case[0])
    level = " ".join(f"WHEN {condition} THEN {rank}" for rank, condition in ordered)
    windows = ", ".join(["region", "t", "value", "t0", *columns])
    return (
        f"SELECT region, t, lvl FROM (SELECT region, t, CASE {level} ELSE -1 END AS lvl"
        f" FROM (SELECT {windows} FROM s)) WHERE lvl >= 0"
    )


def _staleness(rule: Rule) -> str:
    """Return (region, t, lvl): the first period more than max_age after a known value."""
    if rule.levels or not isinstance(rule.params, StalenessParams):
        raise Unported(f"rule {rule.name!r}: graded staleness is not ported")
    age = rule.params.max_age + 1
    rank = SEVERITIES.index(rule.severity)
    return (
        f"SELECT region, t + {age} AS t, {rank} AS lvl FROM (SELECT region, t, t1,"
        " lead(t) OVER (PARTITION BY region ORDER BY t) AS next FROM s WHERE value IS NOT NULL)"
        f" WHERE (next IS NULL OR next > t + {age}) AND t + {age} <= t1"
    )


def _cooled(cooldown: int) -> str:
    """Return the recursive walk keeping hits outside the cooldown of the last kept one."""
    keep = f"(h.t - w.last_t > {cooldown} OR h.lvl > w.last_lvl)"
    return f"""hits AS (SELECT region, t, lvl,
        row_number() OVER (PARTITION BY region ORDER BY t) AS k FROM graded),
    walk(region, k, t, lvl, last_t, last_lvl, kept) AS (
        SELECT region, k, t, lvl, t, lvl, true FROM hits WHERE k = 1
        UNION ALL
        SELECT h.region, h.k, h.t, h.lvl,
            CASE WHEN {keep} THEN h.t ELSE w.last_t END,
            CASE WHEN {keep} THEN h.lvl ELSE w.last_lvl END, {keep}
        FROM walk w JOIN hits h ON h.region = w.region AND h.k = w.k + 1),
    cooled AS (SELECT region, t, lvl FROM walk WHERE kept)"""


def _check_rule(rule: Rule) -> None:
    if rule.recover_below is not None or rule.keep_firing_for:
        raise Unported(f"rule {rule.name!r}: hysteresis and keep_firing_for are not ported")
    if not rule.scope.everywhere or rule.scope.exclude:
        raise Unported(f"rule {rule.name!r}: scopes are not ported")


def rule_query(rule: Rule, cadence: str) -> str:
    """Return the SQL of one rule: rows (rule, region, period, severity)."""
    _check_rule(rule)
    body = _staleness(rule) if rule.operator == "staleness" else _graded(rule)
    ctes = [f"s AS ({_series(rule.indicator)})", f"graded AS ({body})"]
    return _alerts(rule.name, ctes, rule.cooldown, cadence)


def _alerts(name: str, ctes: list[str], cooldown: int, cadence: str) -> str:
    """Return the query of (rule, region, period, severity) from the ``graded`` CTE's hits."""
    source = "graded"
    if cooldown:
        ctes = [*ctes, _cooled(cooldown)]
        source = "cooled"
    severity = "CASE lvl " + " ".join(f"WHEN {i} THEN '{s}'" for i, s in enumerate(SEVERITIES))
    quoted = name.replace("'", "''")
    return (
        f"WITH RECURSIVE {', '.join(ctes)} SELECT '{quoted}' AS rule, region,"
        f" {_LABEL[cadence]} AS period, {severity} END AS severity FROM {source}"
    )


def _clause_rows(clause: Clause, i: int) -> str:
    """Return a CTE: the clause's rows with the last hit and last known ordinal so far."""
    params: OperatorParams = clause.params
    columns, condition = _builder(clause.operator)(params, "")
    windows = ", ".join(["region", "t", "value", "t0", *columns])
    running = "OVER (PARTITION BY region ORDER BY t ROWS UNBOUNDED PRECEDING)"
    return (
        f"c{i} AS (SELECT region, t, max(CASE WHEN {condition} THEN t END) {running} AS hit,"
        f" max(CASE WHEN value IS NOT NULL THEN t END) {running} AS known"
        f" FROM (SELECT {windows} FROM ({_series(clause.indicator)})))"
    )


def _clause_read(clause: Clause, i: int, cadence: str) -> tuple[str, str, str]:
    """Return the ASOF join reading clause i at year end, and its holds and known terms."""
    end = _YEAR_END[cadence].replace("y", "g.y")
    join = f"ASOF LEFT JOIN c{i} ON c{i}.region = g.region AND {end} >= c{i}.t"
    since = f"{end} - {clause.within - 1}"
    held = f"coalesce(c{i}.hit >= {since}, false)"
    known = f"coalesce(c{i}.known >= {since}, false)"
    holds = f"({known} AND NOT {held})" if clause.negate else held
    if clause.missing in ("false", "true"):
        holds = f"(CASE WHEN {known} THEN {holds} ELSE {clause.missing} END)"
    return join, holds, known


def composite_query(composite: Composite, cadences: dict[str, str]) -> str:
    """Return the SQL of one yearly composite: rows (rule, region, period, severity)."""
    if composite.cadence not in (None, "year") or not composite.scope.everywhere:
        raise Unported(f"composite {composite.name!r}: only yearly, unscoped composites")
    clauses = composite.clauses
    present = [c.indicator for c in clauses if c.indicator in cadences]
    listed = ", ".join(f"'{code}'" for code in present)
    ctes = [_clause_rows(c, i) for i, c in enumerate(clauses) if c.indicator in cadences]
    ctes.append(
        "bounds AS (SELECT min(CAST(substr(period, 1, 4) AS INTEGER)) AS lo,"
        f" max(CAST(substr(period, 1, 4) AS INTEGER)) AS hi FROM obs WHERE indicator IN ({listed}))"
    )
    ctes.append(
        "g AS (SELECT r.region, y.y FROM (SELECT DISTINCT region FROM obs"
        f" WHERE indicator IN ({listed})) r, bounds, range(bounds.lo, bounds.hi + 1) y(y))"
    )
    joins, holds, knowns = [], [], []
    for i, clause in enumerate(clauses):
        if clause.indicator not in cadences:
            holds.append("false" if clause.missing in ("false", "unknown", "suppress") else "true")
            knowns.append("false")
            continue
        join, held, known = _clause_read(clause, i, cadences[clause.indicator])
        joins.append(join)
        holds.append(held)
        knowns.append(known)
    combine = " AND " if composite.mode == "all" else " OR "
    fires = combine.join(holds)
    suppressed = [k for c, k in zip(clauses, knowns, strict=True) if c.missing == "suppress"]
    fires = " AND ".join([f"({fires})", *suppressed])
    any_known = " OR ".join(knowns)
    ctes.append(
        f"graded AS (SELECT region, y AS t, {SEVERITIES.index(composite.severity)} AS lvl"
        f" FROM (SELECT g.region, g.y, {fires} AS fires,"
        f" max(CASE WHEN {any_known} THEN g.y END) OVER (PARTITION BY g.region) AS last"
        f" FROM g {' '.join(joins)}) WHERE fires AND y <= last)"
    )
    return _alerts(composite.name, ctes, composite.cooldown, "year")


def backtest(
    con: duckdb.DuckDBPyConnection,
    rules: Iterable[Rule],
    composites: Iterable[Composite],
    cadences: dict[str, str],
) -> list[Alert]:
    """Run every rule and composite on the loaded ``obs`` table; return the alert tuples."""
    found: list[Alert] = []
    for rule in rules:
        if rule.indicator in cadences:
            found.extend(con.execute(rule_query(rule, cadences[rule.indicator])).fetchall())
    for composite in composites:
        found.extend(con.execute(composite_query(composite, cadences)).fetchall())
    return found
