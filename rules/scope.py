"""Resolve a rule's scope to the regions (ISO3 codes) it applies to."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from rules.errors import ScopeError
from rules.model import Scope

# Columns of region_meta that scope names may match; the *_code ones are optional.
NAME_COLUMNS = ("region", "subregion", "intermediate")
CODE_COLUMNS = ("region_code", "subregion_code", "intermediate_code")


def _token(text: object) -> str:
    # "2", "002" and 2 are the same M49 code; names compare without case.
    value = str(text).strip()
    return value.zfill(3) if value.isdigit() else value.casefold()


def _members(names: tuple[str, ...], meta: pd.DataFrame | None, *, field: str) -> set[str]:
    if not names:
        return set()
    if meta is None:
        raise ScopeError(f"scope.{field} names M49 regions; pass region_meta to resolve them")
    members: set[str] = set()
    for name in names:
        wanted = _token(name)
        hit = np.zeros(len(meta), dtype=bool)
        for column in (*NAME_COLUMNS, *CODE_COLUMNS):
            if column in meta.columns:
                tokens = meta[column].dropna().map(_token)
                hit |= meta.index.isin(tokens.index[tokens == wanted])
        if not hit.any():
            raise ScopeError(f"scope.{field}: {name!r} matches no M49 region in region_meta")
        members.update(str(code) for code in meta.index[hit])
    return members


def scope_mask(
    scope: Scope, regions: npt.NDArray[np.object_], region_meta: pd.DataFrame | None
) -> npt.NDArray[np.bool_]:
    """Return which of the regions (ISO3 codes) fall inside the scope."""
    if scope.everywhere:
        mask = np.ones(len(regions), dtype=bool)
    else:
        allowed = set(scope.iso3) | _members(scope.regions, region_meta, field="regions")
        mask = np.isin(regions, list(allowed))
    if scope.exclude:
        codes = {name for name in scope.exclude if len(name) == 3 and name.isupper()}
        names = tuple(name for name in scope.exclude if name not in codes)
        mask &= ~np.isin(regions, list(codes | _members(names, region_meta, field="exclude")))
    return mask
