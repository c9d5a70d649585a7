"""Reference data a new database needs: the regions and, on first setup, the default rules."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import rules as rule_core
from backend.regions.service import load_reference
from backend.rules.models import Rule
from backend.rules.service import import_rule_files

SETUP_ACTOR = "system:setup"


@dataclass(frozen=True)
class SeedSummary:
    """What seeding wrote."""

    regions: int
    rules_imported: int


def seed_reference(*, session: Session) -> SeedSummary:
    """Refresh the reference regions; install the default rule pack when no rule exists yet."""
    regions = load_reference(session)
    imported = 0
    if not session.scalar(select(func.count(Rule.id))):
        summary = import_rule_files(
            session=session,
            paths=[rule_core.pack_path("default")],
            author=SETUP_ACTOR,
            reason="default rule pack installed with the database",
            keep_existing=True,
        )
        imported = len(summary.created)
    return SeedSummary(regions=regions, rules_imported=imported)
