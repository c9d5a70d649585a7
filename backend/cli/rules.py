"""``tocsin rules``: validate rule files, backtest them, import them, evaluate the database.

``backtest --format json`` is a contract: stdout carries exactly one JSON object,
``{"alerts": [{"rule", "region", "period", "severity", "value", "explanation"}, ...]}``
in period order; progress and problems go to stderr.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

import rules as rule_core
from backend.cli.common import console, context, fail
from backend.db import transaction
from backend.rules import service
from ingest.indicators import BY_CODE
from rules import AlertCandidate, RuleSet

app = typer.Typer(help="Alert rules: validate, backtest, import, evaluate.", no_args_is_help=True)

CONTRACT_FIELDS = ("rule", "region", "period", "severity", "value", "explanation")


class OutputFormat(StrEnum):
    """How backtest prints its alerts."""

    json = "json"
    table = "table"


def _load_files(paths: Sequence[Path]) -> RuleSet:
    """Load rule files, or print every ``file:line: message`` and exit 1."""
    try:
        return rule_core.load_rule_files(paths)
    except rule_core.RuleFileError as exc:
        for message in exc.messages:
            typer.echo(message, err=True)
        raise typer.Exit(1) from None


def _pack(name: str) -> Path:
    try:
        return rule_core.pack_path(name)
    except ValueError as exc:
        fail(str(exc))


def _catalogue_warnings(rule_set: RuleSet) -> list[str]:
    # Not an error: analysts' own uploads may bring codes the catalogue does not list.
    return [
        f"{rule_set.origins.get(rule.name, '?')}: warning: indicator {code!r} "
        "is not in the indicator catalogue; the rule only fires on uploaded data"
        for rule in service.definitions(rule_set)
        for code in sorted(rule.indicators - set(BY_CODE))
    ]


@app.command()
def validate(
    paths: list[Path] = typer.Argument(..., help="Rule files (YAML) to check."),
) -> None:
    """Check rule files; print ``file:line: message`` for each problem."""
    rule_set = _load_files(paths)
    for warning in _catalogue_warnings(rule_set):
        typer.echo(warning, err=True)
    count = len(service.definitions(rule_set))
    typer.echo(f"ok: {count} rules in {len(paths)} files")


@contextmanager
def _database() -> Iterator[Session]:
    """Open one transaction for the command; turn database and rule errors into one line."""
    ctx = context()
    try:
        with transaction(ctx.sessions) as session:
            yield session
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc
        fail(f"database error: {str(reason).splitlines()[0]}")
    except (service.StoredRuleError, rule_core.PanelError, rule_core.ScopeError) as exc:
        fail(str(exc))
    finally:
        ctx.dispose()


def _chosen_rules(
    session: Session, rules_path: list[Path] | None, pack: str | None
) -> list[service.Definition]:
    """Return the rules and composites to backtest: files, a pack, or the active rules."""
    if rules_path:
        return service.definitions(_load_files(rules_path))
    if pack:
        return service.definitions(_load_files([_pack(pack)]))
    stored = [active.rule for active in service.active_rules(session=session)]
    return stored or service.definitions(_load_files([_pack("default")]))


def _contract_row(candidate: AlertCandidate) -> dict[str, object]:
    return {name: getattr(candidate, name) for name in CONTRACT_FIELDS}


def _print_table(found: Sequence[AlertCandidate]) -> None:
    table = Table(title=f"{len(found)} alerts")
    for column in ("period", "region", "rule", "severity", "value", "explanation"):
        table.add_column(column, overflow="fold")
    for c in found:
        value = "" if c.value is None else f"{c.value:g}"
        table.add_row(c.period, c.region, c.rule, c.severity, value, c.explanation)
    Console().print(table)


@app.command()
def backtest(
    rules_path: list[Path] | None = typer.Option(None, "--rules", help="Rule file(s) to test."),
    pack: str | None = typer.Option(None, "--pack", help="A bundled pack, e.g. default."),
    start: int | None = typer.Option(None, "--from", help="First year of alerts to list."),
    end: int | None = typer.Option(None, "--to", help="Last year of alerts to list."),
    output: OutputFormat = typer.Option(OutputFormat.table, "--format", help="json or table."),
    as_known_then: bool = typer.Option(
        False,
        "--as-known-then",
        help="Replay the releases one by one: each period judged on the values published "
        "by then, each alert listed once, from the release that first raised it.",
    ),
) -> None:
    """List every alert the rules would have raised over the history in the database."""
    if rules_path and pack:
        fail("give either --rules or --pack, not both")
    with _database() as session:
        chosen = _chosen_rules(session, rules_path, pack)
        found = service.backtest(
            session=session, rules=chosen, start=start, end=end, as_known_then=as_known_then
        )
    if output is OutputFormat.json:
        typer.echo(json.dumps({"alerts": [_contract_row(c) for c in found]}, allow_nan=False))
    else:
        _print_table(found)


@app.command("import")
def import_rules(
    paths: list[Path] | None = typer.Argument(None, help="Rule files to import."),
    pack: str | None = typer.Option(None, "--pack", help="A bundled pack, e.g. default."),
    reason: str = typer.Option(..., "--reason", help="Why: kept with each new version."),
    author: str | None = typer.Option(None, "--author", help="Who (default: this user)."),
) -> None:
    """Store rules as versions; a rule whose YAML did not change gets no new version."""
    if bool(paths) == bool(pack):
        fail("give rule files or --pack NAME (one of them)")
    rule_set = _load_files(paths or [_pack(pack or "default")])
    with _database() as session:
        summary = service.import_rule_set(
            session=session, rule_set=rule_set, author=author or getpass.getuser(), reason=reason
        )
    typer.echo(
        f"imported {len(service.definitions(rule_set))} rules: {len(summary.created)} new, "
        f"{len(summary.updated)} new versions, {len(summary.unchanged)} unchanged"
    )


@app.command()
def evaluate() -> None:
    """Evaluate every active rule over the whole database and update the alerts."""
    with _database() as session, console.status("evaluating rules"):
        result = service.evaluate_all(session=session)
    alerts = result.alerts
    typer.echo(
        f"evaluated {result.rules} rules over {result.observations:,} observations: "
        f"{result.candidates:,} alerts raised; {alerts.created} new, {alerts.changed} changed, "
        f"{alerts.resolved} resolved, {alerts.unchanged} unchanged"
    )
