"""Read observations into the rule core's panel, and regions into its scope metadata.

The panel is the long DataFrame ``rules.backtest`` takes: region (ISO3), indicator
(code), period (str) and value (float, NaN when a published value is empty), plus
is_demo (bool), which the rule core ignores and the alert lifecycle uses to mark alerts
raised on demo data. It holds one value per series and period: the latest vintage, or
with ``as_known_then`` the value as it was known on a past date. ``load_vintages`` reads
every vintage at once, and ``known_on`` cuts the panel as known on any date out of it, so
a release-by-release replay costs one query.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from backend.observations.models import Observation
from backend.regions.models import Region
from backend.sources.models import Indicator

PANEL_COLUMNS = ("region", "indicator", "period", "value", "is_demo")
META_COLUMNS = (
    "name",
    "level",
    "region",
    "subregion",
    "intermediate",
    "region_code",
    "subregion_code",
    "intermediate_code",
)
_Rows = Select[str, str, str, float | None, bool, int]
# Region id lists longer than this are filtered after the query, not bound as parameters.
_MAX_BOUND_REGIONS = 500


def _latest_query(codes: list[str]) -> _Rows:
    return (
        select(
            Region.code,
            Indicator.code,
            Observation.period,
            Observation.value,
            Observation.is_demo,
            Observation.region_id,
        )
        .join(Indicator, Indicator.id == Observation.indicator_id)
        .join(Region, Region.id == Observation.region_id)
        .where(Indicator.code.in_(codes), Observation.is_latest.is_(True))
    )


def _known_then_query(codes: list[str], known_on: date) -> _Rows:
    # Newest vintage published on or before the date, per series and period.
    newest = (
        func.row_number()
        .over(
            partition_by=(Observation.indicator_id, Observation.region_id, Observation.period),
            order_by=Observation.vintage.desc(),
        )
        .label("rank")
    )
    ranked = (
        select(Observation, newest)
        .join(Indicator, Indicator.id == Observation.indicator_id)
        .where(Indicator.code.in_(codes), Observation.vintage <= known_on)
        .subquery()
    )
    return (
        select(
            Region.code,
            Indicator.code,
            ranked.c.period,
            ranked.c.value,
            ranked.c.is_demo,
            ranked.c.region_id,
        )
        .join(Indicator, Indicator.id == ranked.c.indicator_id)
        .join(Region, Region.id == ranked.c.region_id)
        .where(ranked.c.rank == 1)
    )


def load_panel(
    *,
    session: Session,
    indicator_codes: Collection[str],
    region_ids: Collection[int] | None = None,
    as_known_then: date | None = None,
) -> pd.DataFrame:
    """Return the panel of the indicators' series (all regions when region_ids is None).

    ``as_known_then`` replays the database as it stood on that date: for each period the
    newest vintage published on or before it, instead of the latest vintage.
    """
    codes = sorted(indicator_codes)
    if not codes:
        return _empty_panel()
    if as_known_then is None:
        query = _latest_query(codes)
        region_column: Any = Observation.region_id
    else:
        query = _known_then_query(codes, as_known_then)
        region_column = query.selected_columns[5]
    ids = None if region_ids is None else sorted(set(region_ids))
    if ids is not None and len(ids) <= _MAX_BOUND_REGIONS:
        query = query.where(region_column.in_(ids))
    rows = session.execute(query).all()
    frame = pd.DataFrame(
        rows, columns=["region", "indicator", "period", "value", "is_demo", "region_id"]
    )
    if ids is not None and len(ids) > _MAX_BOUND_REGIONS:
        frame = frame[frame["region_id"].isin(ids)]
    return _one_value_per_period(frame)


def load_vintages(
    *, session: Session, indicator_codes: Collection[str], until: date | None = None
) -> pd.DataFrame:
    """Return every published vintage of the indicators' series, oldest vintage first.

    The panel's columns plus ``vintage`` (the release date); ``until`` leaves out the
    releases published after that date.
    """
    codes = sorted(indicator_codes)
    query = (
        select(Region.code, Indicator.code, Observation.period, Observation.value,
               Observation.is_demo, Observation.vintage)
        .join(Indicator, Indicator.id == Observation.indicator_id)
        .join(Region, Region.id == Observation.region_id)
        .where(Indicator.code.in_(codes))
    )  # fmt: skip
    if until is not None:
        query = query.where(Observation.vintage <= until)
    frame = pd.DataFrame(session.execute(query).all(), columns=[*PANEL_COLUMNS, "vintage"])
    return frame.sort_values("vintage", kind="stable").reset_index(drop=True)


def vintage_dates(vintages: pd.DataFrame) -> list[date]:
    """Return the distinct release dates of a vintage frame, oldest first."""
    return sorted(set(vintages["vintage"]))


def known_on(vintages: pd.DataFrame, day: date) -> pd.DataFrame:
    """Return the panel as it was known on a day: per period, the newest vintage by then."""
    published = vintages[vintages["vintage"] <= day]
    # Rows come oldest vintage first, so the last of each series and period is the newest.
    newest = published.drop_duplicates(["region", "indicator", "period", "is_demo"], keep="last")
    if newest.empty:
        return _empty_panel()
    return _one_value_per_period(newest)


def _one_value_per_period(frame: pd.DataFrame) -> pd.DataFrame:
    # Demo rows only stand in until a real ingest brings the series: real values win.
    frame = frame.sort_values(["is_demo"], kind="stable")
    frame = frame.drop_duplicates(["region", "indicator", "period"], keep="first")
    frame = frame.loc[:, list(PANEL_COLUMNS)].sort_values(["indicator", "region", "period"])
    return frame.astype({"value": np.float64, "is_demo": bool}).reset_index(drop=True)


def _empty_panel() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region": pd.Series(dtype=object),
            "indicator": pd.Series(dtype=object),
            "period": pd.Series(dtype=object),
            "value": pd.Series(dtype=np.float64),
            "is_demo": pd.Series(dtype=bool),
        }
    )


def region_meta(*, session: Session) -> pd.DataFrame:
    """Return countries and areas by code with their M49 region names and codes, for scopes."""
    tiers = {t: aliased(Region, name=f"{t}_tier") for t in ("region", "subregion", "intermediate")}
    columns: list[Any] = [Region.code, Region.name, Region.level]
    for tier, alias in tiers.items():
        columns.extend([alias.name.label(tier), alias.m49.label(f"{tier}_code")])
    query = select(*columns).where(Region.level.in_(("country", "area")))
    for tier, alias in tiers.items():
        query = query.outerjoin(alias, alias.id == getattr(Region, f"{tier}_id"))
    frame = pd.DataFrame(session.execute(query).all(), columns=["code", *_meta_order()])
    for tier in tiers:
        # Scope matching compares M49 codes as zero-padded text ("002" for Africa).
        frame[f"{tier}_code"] = frame[f"{tier}_code"].map(_m49_text)
    return frame.set_index("code").loc[:, list(META_COLUMNS)]


def _meta_order() -> list[str]:
    return ["name", "level", "region", "region_code", "subregion", "subregion_code",
            "intermediate", "intermediate_code"]  # fmt: skip


def _m49_text(code: object) -> str | None:
    # Outer joins turn the integer column into floats with NaN where a tier is absent.
    if not isinstance(code, int | float | np.integer | np.floating) or np.isnan(code):
        return None
    return f"{int(code):03d}"
