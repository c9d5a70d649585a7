"""The code itself: no eval or exec, no SQL built from strings, no unsafe deserialisation.

An AST walk over every production module. The rule language is parsed by YAML's safe
loader and validated by Pydantic into operator names looked up in a registry; nothing a
user writes is ever evaluated as code, and every SQL statement takes its values as bound
parameters (SQLAlchemy expressions, or psycopg's ``sql`` composition for identifiers).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What runs in production; benchmarks build their reference SQL (DuckDB) from templates.
PACKAGES = ("backend", "ingest", "rules", "dashboard", "migrations")
DYNAMIC_CODE = {"eval", "exec", "compile", "__import__"}
SQL_SINKS = {"text", "execute", "exec_driver_sql", "executescript", "executemany"}
UNSAFE_LOADS = {("yaml", "load"), ("yaml", "unsafe_load"), ("pickle", "loads"),
                ("pickle", "load"), ("marshal", "loads")}  # fmt: skip


def modules() -> Iterator[tuple[str, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield str(path.relative_to(ROOT)), ast.parse(path.read_text(encoding="utf-8"))


def calls(tree: ast.Module) -> Iterator[ast.Call]:
    yield from (node for node in ast.walk(tree) if isinstance(node, ast.Call))


def name_of(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


def built_from_strings(node: ast.expr) -> bool:
    """Tell whether an expression builds text at run time: f-string, % or a str's .format."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(part, ast.FormattedValue) for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return isinstance(node.left, ast.Constant | ast.JoinedStr | ast.BinOp)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr == "format" and isinstance(node.func.value, ast.Constant)
    return False


ALL = list(modules())


@pytest.mark.parametrize(("path", "tree"), ALL, ids=[path for path, _ in ALL])
def test_no_dynamic_code_no_string_sql_no_unsafe_loading(path: str, tree: ast.Module) -> None:
    found = []
    for call in calls(tree):
        name = name_of(call)
        if isinstance(call.func, ast.Name) and name in DYNAMIC_CODE:
            found.append(f"{path}:{call.lineno}: {name}()")
        if name in SQL_SINKS and call.args and built_from_strings(call.args[0]):
            found.append(f"{path}:{call.lineno}: SQL built from strings passed to {name}()")
        func = call.func
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and (func.value.id, func.attr) in UNSAFE_LOADS
        ):
            found.append(f"{path}:{call.lineno}: {func.value.id}.{func.attr}()")
    assert found == []


def test_the_checks_catch_what_they_look_for() -> None:
    sample = ast.parse(
        "eval(x)\ntext(f'SELECT {x}')\nconn.execute('DELETE FROM t WHERE id=%s' % x)\n"
        "yaml.load(s)\nsession.execute(text('SELECT 1'))\n"
    )
    names = [name_of(call) for call in calls(sample)]
    assert names[:4] == ["eval", "text", "execute", "load"]
    assert built_from_strings(sample.body[1].value.args[0])  # type: ignore[attr-defined]
    assert built_from_strings(sample.body[2].value.args[0])  # type: ignore[attr-defined]
    assert not built_from_strings(sample.body[4].value.args[0])  # type: ignore[attr-defined]
