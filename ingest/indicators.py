"""The indicator catalogue: every indicator code a source or the demo dataset may write.

Codes are part of the rule language (rules name indicators by code), so they are stable.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IndicatorSpec:
    """What an indicator measures, declared as data."""

    code: str
    name: str
    unit: str
    frequency: str  # year, quarter, month or day
    higher_is_worse: bool = True
    description: str = ""


DRUG_GROUPS = ("cocaine", "cannabis", "opioids", "ats", "nps", "other")

CATALOGUE: tuple[IndicatorSpec, ...] = (
    IndicatorSpec(
        "homicide_rate",
        "Intentional homicide rate",
        "per 100,000 population",
        "year",
        description="Victims of intentional homicide per 100,000 population (SDG 16.1.1).",
    ),
    IndicatorSpec(
        "homicide_count",
        "Intentional homicide victims",
        "victims",
        "year",
        description="Victims of intentional homicide, all ages and sexes.",
    ),
    IndicatorSpec(
        "homicide_firearm_share",
        "Homicides by firearm",
        "% of homicides",
        "year",
        description="Share of intentional homicides committed with a firearm.",
    ),
    IndicatorSpec(
        "homicide_ocg_share",
        "Homicides by organized criminal groups or gangs",
        "% of homicides",
        "year",
        description="Share of homicides attributed to organized criminal groups or gangs.",
    ),
    *(
        IndicatorSpec(
            f"seizures_{group}_kg",
            f"Drug seizures: {group}",
            "kg",
            "year",
            description=f"Kilograms of {group} seized in the year (World Drug Report annex).",
        )
        for group in DRUG_GROUPS
    ),
    IndicatorSpec(
        "seizure_drug_groups",
        "Drug groups seized",
        "groups",
        "year",
        description="Number of distinct drug groups with a seizure reported in the year.",
    ),
    IndicatorSpec(
        "sc_meetings",
        "Security Council meetings",
        "meetings",
        "quarter",
        higher_is_worse=True,
        description="Council meetings whose topic names the region.",
    ),
    IndicatorSpec(
        "sc_outcomes",
        "Security Council outcomes",
        "documents",
        "quarter",
        description="Resolutions, presidential and press statements about the region.",
    ),
    IndicatorSpec(
        "sc_crime_outcomes",
        "Security Council crime-themed outcomes",
        "documents",
        "quarter",
        description="Council outcomes about the region tagged with a crime theme.",
    ),
    IndicatorSpec(
        "gdelt_crime_events",
        "Crime and violence events (GDELT)",
        "events",
        "day",
        description="Daily GDELT events with crime- or violence-related CAMEO codes in the country",
    ),
    IndicatorSpec(
        "gdelt_goldstein_mean",
        "Mean Goldstein scale (GDELT)",
        "Goldstein scale",
        "day",
        higher_is_worse=False,
        description="Mean Goldstein scale of the day's events in the country.",
    ),
    IndicatorSpec(
        "gdelt_tone_mean",
        "Mean tone (GDELT)",
        "tone (-100 to +100)",
        "day",
        higher_is_worse=False,
        description="Mean AvgTone of the articles behind the day's events in the country.",
    ),
)

BY_CODE = {spec.code: spec for spec in CATALOGUE}
