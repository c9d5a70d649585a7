"""Load rule files, reporting every problem as ``file:line: what is wrong``.

YAML is composed into nodes first, so each key and list item keeps the line it came
from; Pydantic error locations are then mapped back to those lines. Bad input never
escapes as a traceback: it becomes a ``RuleFileError`` holding all the messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from rules.errors import RuleFileError
from rules.messages import Loc, describe_error
from rules.model import RuleFile, RuleSet

LineMap = dict[Loc, int]
# A large pack has a few thousand nodes; far more means garbage or an alias bomb.
MAX_NODES = 50_000
MAX_DEPTH = 64  # rule files nest about 6 deep


@dataclass(frozen=True)
class _Parsed:
    data: Any
    lines: LineMap


def _yaml_message(filename: str, text: str, exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = exc.problem or exc.context or "cannot parse"
        if exc.problem == "but found another document":
            what = "a rule file holds one YAML document; this starts a second one"
        elif exc.problem and exc.context:
            started = exc.context_mark
            # The parser notices late: say where the unfinished construct began.
            if started is not None and started.line + 1 != line:
                what += f" ({exc.context} that began on line {started.line + 1})"
            else:
                what += f" ({exc.context})"
        return f"{filename}:{line}: YAML syntax error: {what}"
    position = getattr(exc, "position", None)
    line = text.count("\n", 0, position) + 1 if isinstance(position, int) else 1
    if isinstance(exc, yaml.reader.ReaderError):
        reason = f"{exc.reason} (character #x{exc.character:04x})"
    else:
        reason = str(exc).splitlines()[0]
    return f"{filename}:{line}: YAML syntax error: {reason}"


def _index_lines(root: yaml.Node, filename: str) -> LineMap:
    """Map every key and list item to its line, within a budget of nodes."""
    lines: LineMap = {}
    problems: list[tuple[int, str]] = []
    stack: list[tuple[yaml.Node, Loc]] = [(root, ())]
    visited = 0
    while stack:
        node, loc = stack.pop()
        visited += 1
        if len(loc) > MAX_DEPTH:
            raise RuleFileError([f"{filename}:{node.start_mark.line + 1}: YAML nested too deeply"])
        if visited > MAX_NODES:
            # Aliases can expand a small file exponentially (or forever, if recursive).
            raise RuleFileError(
                [f"{filename}:1: rule file too large: over {MAX_NODES} YAML nodes with aliases"]
            )
        lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
                if key in seen:
                    problems.append((key_node.start_mark.line + 1, f"duplicate key {key!r}"))
                seen.add(key)
                lines[(*loc, key)] = key_node.start_mark.line + 1
                stack.append((value_node, (*loc, key)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*loc, index)) for index, item in enumerate(node.value))
    if problems:
        raise RuleFileError([f"{filename}:{line}: {what}" for line, what in sorted(problems)])
    return lines


def _parse(text: str, filename: str) -> _Parsed:
    try:
        loader = yaml.SafeLoader(text)  # the reader already rejects control characters
        try:
            node = loader.get_single_node()
            if node is None:
                return _Parsed(None, {})
            lines = _index_lines(node, filename)  # first: it bounds the work below
            return _Parsed(loader.construct_document(node), lines)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise RuleFileError([_yaml_message(filename, text, exc)]) from None
    except RecursionError:
        raise RuleFileError([f"{filename}:1: YAML nested too deeply"]) from None


def _line_of(loc: Loc, lines: LineMap) -> int:
    # The deepest located ancestor: a missing field points at the mapping lacking it.
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _validate(parsed: _Parsed, filename: str) -> RuleFile:
    if parsed.data is None:
        raise RuleFileError([f"{filename}:1: empty rule file; expected a 'groups' list"])
    try:
        return RuleFile.model_validate(parsed.data)
    except ValidationError as exc:
        messages = []
        for error in exc.errors(include_url=False):
            loc: Loc = tuple(error["loc"])
            line = _line_of(loc, parsed.lines)
            messages.append(f"{filename}:{line}: {describe_error(error, parsed.data)}")
        raise RuleFileError(messages) from None


@dataclass(frozen=True)
class _Loaded:
    filename: str
    rule_file: RuleFile
    rule_lines: tuple[int, ...]  # the line of each rule, in file order


def _load(text: str, filename: str) -> _Loaded:
    parsed = _parse(text, filename)
    rule_file = _validate(parsed, filename)
    messages: list[str] = []
    group_lines: dict[str, int] = {}
    rule_lines: list[int] = []
    for g, group in enumerate(rule_file.groups):
        line = _line_of(("groups", g, "name"), parsed.lines)
        if group.name in group_lines:
            first = group_lines[group.name]
            messages.append(f"{filename}:{line}: group name {group.name!r} repeats line {first}")
        group_lines.setdefault(group.name, line)
        rule_lines.extend(
            _line_of(("groups", g, "rules", r), parsed.lines) for r in range(len(group.rules))
        )
        rule_lines.extend(
            _line_of(("groups", g, "composites", c), parsed.lines)
            for c in range(len(group.composites))
        )
    if messages:
        raise RuleFileError(messages)
    return _Loaded(filename, rule_file, tuple(rule_lines))


def _duplicates(loaded: list[_Loaded]) -> tuple[dict[str, str], list[str]]:
    origins: dict[str, str] = {}
    messages: list[str] = []
    for item in loaded:
        groups = item.rule_file.groups
        names = [
            n for g in groups for n in (*(r.name for r in g.rules), *(c.name for c in g.composites))
        ]
        for name, line in zip(names, item.rule_lines, strict=True):
            where = f"{item.filename}:{line}"
            if name in origins:
                messages.append(
                    f"{where}: rule name {name!r} is already defined at {origins[name]}"
                )
            else:
                origins[name] = where
    return origins, messages


def _rule_set(loaded: list[_Loaded], messages: list[str]) -> RuleSet:
    origins, duplicates = _duplicates(loaded)
    messages = [*messages, *duplicates]
    if messages:
        raise RuleFileError(messages)
    groups = tuple(group for item in loaded for group in item.rule_file.groups)
    return RuleSet(groups=groups, origins=origins)


def load_rules_text(text: str, filename: str = "<rules>") -> RuleSet:
    """Parse and validate the text of one rule file."""
    return _rule_set([_load(text, filename)], [])


def load_rule_files(paths: Iterable[str | Path]) -> RuleSet:
    """Load rule files into one rule set, reporting the problems of all of them at once."""
    loaded: list[_Loaded] = []
    messages: list[str] = []
    for path in paths:
        name = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except OSError as exc:
            messages.append(f"{name}:1: cannot read rule file: {exc.strerror or exc}")
            continue
        except UnicodeDecodeError as exc:
            messages.append(f"{name}:1: rule files must be UTF-8 text: {exc.reason}")
            continue
        try:
            loaded.append(_load(text, name))
        except RuleFileError as exc:
            messages.extend(exc.messages)
    return _rule_set(loaded, messages)
