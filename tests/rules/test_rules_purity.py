"""rules/ stays pure: no project layers, no database, no network, no clock."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import rules

RULES_DIR = Path(rules.__file__).resolve().parent
MODULES = sorted(RULES_DIR.rglob("*.py"))
ALLOWED = {
    "__future__", "collections", "dataclasses", "datetime", "difflib", "hashlib", "math",
    "pathlib", "re", "string", "types", "typing", "warnings",
    "numpy", "pandas", "pydantic", "pydantic_core", "yaml",
    "rules",
}  # fmt: skip
CLOCK_CALLS = {"now", "today", "utcnow", "time", "monotonic", "perf_counter"}


def _imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_module_imports_only_pure_libraries(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert _imports(tree) <= ALLOWED, f"{path.name} imports {_imports(tree) - ALLOWED}"


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_module_reads_no_clock(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    assert not calls & CLOCK_CALLS, f"{path.name} calls {calls & CLOCK_CALLS}"
