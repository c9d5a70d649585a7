"""Tocsin's pure rule core: rule files in, alert candidates out, no I/O and no clock."""

# Importing these registers their operators.
import rules.operators_change
import rules.operators_counts  # noqa: F401
from rules.candidates import AlertCandidate, fingerprint
from rules.errors import PanelError, RuleFileError, ScopeError
from rules.evaluate import backtest, evaluate, evaluate_composite
from rules.loader import load_rule_files, load_rules_text
from rules.model import (
    Annotations,
    Clause,
    Composite,
    Level,
    Rule,
    RuleFile,
    RuleGroup,
    RuleSet,
    Scope,
    Severity,
)
from rules.operators import (
    OPERATORS,
    EvalContext,
    OperatorParams,
    OperatorResult,
    OperatorSpec,
    register,
)
from rules.packs import available_packs, pack_path
from rules.panel import PANEL_COLUMNS

__all__ = [
    "OPERATORS",
    "PANEL_COLUMNS",
    "AlertCandidate",
    "Annotations",
    "Clause",
    "Composite",
    "EvalContext",
    "Level",
    "OperatorParams",
    "OperatorResult",
    "OperatorSpec",
    "PanelError",
    "Rule",
    "RuleFile",
    "RuleFileError",
    "RuleGroup",
    "RuleSet",
    "Scope",
    "ScopeError",
    "Severity",
    "available_packs",
    "backtest",
    "evaluate",
    "evaluate_composite",
    "fingerprint",
    "load_rule_files",
    "load_rules_text",
    "pack_path",
    "register",
]
