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
    if values.dtype == np.float64:
        return values.to_numpy()  # already numeric: skip to_numeric's checks
    try:
        return pd.to_numeric(values, errors="raise").to_numpy(dtype=np.float64)
    except (ValueError, TypeError) as exc:
        raise PanelError(f"{what} must be numeric: {exc}") from None


@dataclass(frozen=True)
class Columns:
    """A panel's four columns as plain arrays: labels as str, values as float (NaN)."""

    region: npt.NDArray[np.object_]
    indicator: npt.NDArray[np.object_]
    period: npt.NDArray[np.str_]
    value: npt.NDArray[np.float64]

    def up_to(self, now: str | None) -> Columns:
        """Return the rows of periods up to now (all of them when now is None)."""
        if now is None:
            return self
        # Periods of one cadence sort as strings, so "as of now" is a string comparison.
        keep = self.period <= now
        return Columns(self.region[keep], self.indicator[keep], self.period[keep], self.value[keep])

    def frame(self) -> pd.DataFrame:
        """Return the columns as a long DataFrame."""
        data = {"region": self.region, "indicator": self.indicator}
        return pd.DataFrame({**data, "period": self.period, "value": self.value}, copy=False)


def _labels(panel: pd.DataFrame, column: str) -> npt.NDArray[np.object_]:
    """Return a label column as str objects, or raise PanelError if an entry is missing."""
    # Plain arrays rather than pandas operations: on the one-series panels of incremental
    # evaluation, pandas' per-call overhead is most of the time.
    series = panel[column]
    labels: npt.NDArray[np.object_] = series.to_numpy(dtype=object)
    if pd.isna(labels).any():
        raise PanelError(f"panel column {column!r} has missing entries")
    if not isinstance(series.dtype, pd.StringDtype):
        labels = labels.astype(str).astype(object)
    return labels


def panel_columns(panel: pd.DataFrame, now: str | None = None) -> Columns:
    """Return the panel's four columns, checked and typed, without periods after now."""
    missing = [column for column in PANEL_COLUMNS if column not in panel.columns]
    if missing:
        raise PanelError(f"panel lacks column(s) {', '.join(missing)}")
    region, indicator = _labels(panel, "region"), _labels(panel, "indicator")
    period = _labels(panel, "period").astype(str)
    value = numeric(panel["value"], "panel column 'value'")
    return Columns(region, indicator, period, value).up_to(now)


def clean_panel(panel: pd.DataFrame, now: str | None = None) -> pd.DataFrame:
    """Return the panel's four columns, typed, without periods after now."""
    return panel_columns(panel, now).frame()


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
    # Counting per cell is linear (np.unique sorts) and the counts fit in the matrix's size.
    counts = np.bincount(cells, minlength=len(regions) * len(axis))
    if counts.max(initial=0) > 1:
        region, column = divmod(int(np.flatnonzero(counts > 1)[0]), len(axis))
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
    # Hash look-ups in the index, one per region: building an Index to reindex by costs
    # more than the rules on the one-series panels of incremental evaluation.
    names = meta["name"].to_numpy(dtype=object)
    found = [_name_at(names, meta.index, region) for region in regions]
    return [str(n) if isinstance(n, str) else str(r) for r, n in zip(regions, found, strict=True)]


def _name_at(names: npt.NDArray[np.object_], index: pd.Index, region: object) -> object:
    """Return the name of the region's metadata row (None when it has no single row)."""
    try:
        position = index.get_loc(region)
    except KeyError:
        return None
    return names[position] if isinstance(position, int) else None


def number(value: float) -> float | None:
    """Return the float, or None for NaN."""
    return value if value == value else None  # NaN is the only float unequal to itself
