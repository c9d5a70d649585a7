"""The benchmark's DuckDB reference computes the same alerts as the engine (no timing)."""

from __future__ import annotations

import pandas as pd
import pytest

from benchmarks.bench_rules_backtest import bench_rules, duckdb_backtest, synthetic_panel
from benchmarks.rules_sql import Unported, rule_query
from rules import backtest, load_rule_files, load_rules_text, pack_path

REGIONS = [f"X{i:03d}" for i in range(1, 13)]


def test_duckdb_reference_raises_the_engines_alerts() -> None:
    synthetic = synthetic_panel(REGIONS, days=800)
    # A synthetic homicide series stands in for the real one, so the composites fire.
    homicide = synthetic[synthetic["indicator"] == "bench_y02"].assign(indicator="homicide_rate")
    panel = pd.concat([synthetic, homicide], ignore_index=True)
    pack = load_rule_files([pack_path("default")])
    rules = bench_rules(pack)
    found = backtest(rules, panel, composites=pack.composites)
    engine = {(a.rule, a.region, a.period, a.severity) for a in found}
    fired = {rule for rule, *_ in engine}
    # Every operator family of the pack fires, composites included, so all are compared.
    composites = {"homicide_risk_without_council", "homicide_jump_corroborated_by_gdelt"}
    assert {"gdelt_crime_events_surge", *composites} <= fired
    assert {r.split("__")[0] for r in fired} >= {
        "homicide_rate_highest_5y", "homicide_rate_jump", "homicide_ocg_share_rising",
        "homicide_data_stale", "seizures_cocaine_emerges",
    }  # fmt: skip
    assert set(duckdb_backtest(panel, rules, pack.composites)) == engine


def test_operators_without_sql_are_refused() -> None:
    text = """
groups:
  - name: g
    rules:
      - name: peers
        indicator: x
        operator: peer_percentile
        params: {min_percentile: 90}
        severity: info
        annotations: {summary: "{region} high"}
"""
    rule = load_rules_text(text).get("peers")
    with pytest.raises(Unported, match="peer_percentile"):
        rule_query(rule, "year")
