"""Run every benchmark, print a table and write benchmarks/report.json (`make bench`)."""

from __future__ import annotations

import argparse
import importlib

from rich.console import Console
from rich.table import Table

from benchmarks.harness import REPORT, Figure, write_report

BENCHMARKS = (
    "bench_ingest_worldbank",
    "bench_ingest_cts",
    "bench_ingest_gdelt",
    "bench_stream_latency",
    "bench_rules_backtest",
    "bench_api_throughput",
    "bench_dashboard_overview",
)


def main() -> None:
    """Run the selected benchmarks (all by default)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", default=list(BENCHMARKS), help="benchmarks to run")
    args = parser.parse_args()
    console = Console()
    figures: list[Figure] = []
    for name in args.names:
        console.print(f"running {name} ...")
        figures.extend(importlib.import_module(f"benchmarks.{name}").run())
    table = Table(title="Tocsin benchmarks (ratios to a reference measured in the same run)")
    for column in ("figure", "subject s", "reference", "reference s", "ratio", "limit", "ok"):
        table.add_column(column)
    for f in figures:
        ok = {None: "-", True: "[green]yes[/green]", False: "[red]NO[/red]"}[f.passed]
        table.add_row(
            f.name,
            f"{f.subject_s:.3f}",
            f.reference,
            f"{f.reference_s:.3f}",
            f"{f.ratio:.2f}x",
            "-" if f.limit is None else f"<= {f.limit}x",
            ok,
        )
    console.print(table)
    write_report(figures)
    console.print(f"report written to {REPORT.relative_to(REPORT.parent.parent)}")


if __name__ == "__main__":
    main()
