"""Tocsin's pure rule core: rule files in, alert candidates out, no I/O and no clock."""

from rules.candidates import AlertCandidate, fingerprint
from rules.errors import PanelError, RuleFileError, ScopeError
from rules.evaluate import PANEL_COLUMNS, backtest, evaluate
from rules.loader import load_rule_files, load_rules_text
from rules.model import Annotations, Rule, RuleFile, RuleGroup, RuleSet, Scope, Severity
from rules.operators import (
    OPERATORS,
    EvalContext,
    OperatorParams,
    OperatorResult,
    OperatorSpec,
    register,
)
from rules.packs import available_packs, pack_path

__all__ = [
    "OPERATORS",
    "PANEL_COLUMNS",
    "AlertCandidate",
    "Annotations",
    "EvalContext",
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
    "fingerprint",
    "load_rule_files",
    "load_rules_text",
    "pack_path",
    "register",
]
