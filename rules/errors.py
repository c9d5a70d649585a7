"""Exceptions raised by the rule core for bad rule files or bad input data."""

from __future__ import annotations

from collections.abc import Sequence


class RuleFileError(Exception):
    """Rule files that cannot be loaded; ``messages`` holds one ``file:line: what`` each."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages: list[str] = list(messages)
        super().__init__("\n".join(self.messages))


class PanelError(ValueError):
    """Observation data the evaluator cannot use (missing columns, mixed cadences, ...)."""


class ScopeError(ValueError):
    """A rule scope that cannot be resolved against the region metadata."""
