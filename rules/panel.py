"""Panels laid out as matrices: cleaning the long frame and pivoting one indicator.

A panel is a long DataFrame with columns ``region`` (ISO3), ``indicator``, ``period`` and
``value`` (float, NaN when missing). Each indicator is pivoted to a (regions x periods)
matrix on a gap-free period axis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from rules.errors import PanelError
from rules.periods import detect_cadence, period_axis
from rules.windows import FloatMatrix

PANEL_COLUMNS = ("region", "indicator", "period", "value")


@dataclass(frozen=True)
class Wide:
    """One indicator as a (regions x gap-free periods) matrix."""

    indicator: str
    regions: npt.NDArray[np.object_]
    periods: list[str]
    values: FloatMatrix


def numeric(values: pd.Series, what: str) -> npt.NDArray[np.float64]:
    """Return the values as floats, or raise PanelError naming what is not numeric."""
    try:
        return pd.to_numeric(values, errors="raise").to_numpy(dtype=np.float64)
    except (ValueError, TypeError) as exc:
        raise PanelError(f"{what} must be numeric: {exc}") from None


def clean_panel(panel: pd.DataFrame, now: str | None = None) -> pd.DataFrame:
    """Return the panel's four columns, typed, without periods after now."""
    missing = [column for column in PANEL_COLUMNS if column not in panel.columns]
    if missing:
        raise PanelError(f"panel lacks column(s) {', '.join(missing)}")
    frame = panel.loc[:, list(PANEL_COLUMNS)]
    for column in ("region", "indicator", "period"):
        if frame[column].isna().any():
            raise PanelError(f"panel column {column!r} has missing entries")
    frame = frame.assign(
        region=frame["region"].astype(str),
        indicator=frame["indicator"].astype(str),
        period=frame["period"].astype(str),
        value=numeric(frame["value"], "panel column 'value'"),
    )
    # Periods of one cadence sort as strings, so "as of now" is a string comparison.
    return frame if now is None else frame[frame["period"] <= now]


def pivot(
    indicator: str,
    region_codes: npt.NDArray[np.intp],
    regions: npt.NDArray[np.object_],
    periods: npt.NDArray[np.str_],
    values: npt.NDArray[np.float64],
    now: str | None = None,
) -> Wide:
    """Lay rows (region code, period, value) out on a regions x gap-free-periods matrix.

    When ``now`` has the indicator's cadence the axis runs up to it, so that staleness
    (and held alerts) can be seen in periods without data.
    """
    period_codes, uniques = pd.factorize(periods)
    labels = [str(p) for p in uniques]
    if now is not None and _same_cadence(labels, now):
        labels.append(now)
    axis, positions = period_axis(labels, label=f"indicator {indicator!r}")
    positions = positions[: len(uniques)]
    columns = positions[period_codes]
    cells = region_codes.astype(np.int64) * len(axis) + columns
    unique_cells, counts = np.unique(cells, return_counts=True)
    if len(unique_cells) != len(cells):
        region, column = divmod(int(unique_cells[counts > 1][0]), len(axis))
        raise PanelError(
            f"indicator {indicator!r}: {regions[region]} has several values for "
            f"{axis[column]}; pass one vintage per period"
        )
    matrix = np.full((len(regions), len(axis)), np.nan)
    matrix[region_codes, columns] = values
    return Wide(indicator, regions, axis, matrix)


def _same_cadence(labels: list[str], now: str) -> bool:
    try:
        return not labels or detect_cadence(labels[0]).name == detect_cadence(now).name
    except PanelError:
        return False


def region_names(regions: npt.NDArray[np.object_], meta: pd.DataFrame | None) -> list[str]:
    """Return each region's name from the metadata, or its code."""
    if meta is None or "name" not in meta.columns:
        return [str(region) for region in regions]
    names = meta["name"].reindex(regions)
    return [str(n) if isinstance(n, str) else str(r) for r, n in zip(regions, names, strict=True)]


def number(value: float) -> float | None:
    """Return the float, or None for NaN."""
    return value if value == value else None  # NaN is the only float unequal to itself
