"""The shapes of list answers: every item with the count, or one page of them.

Each list route names its own subclass (``class AlertPage(Page[AlertRead])``) whose
docstring says what the items are and in what order; the subclass's name is the schema's
name in the OpenAPI document.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

ItemT = TypeVar("ItemT", bound=BaseModel)


class Listing(BaseModel, Generic[ItemT]):
    """Every item (a short list, so not paged) and how many there are."""

    items: list[ItemT] = Field(description="The items, in the order the list's description gives")
    total: int = Field(description="Number of items", examples=[12])


class Page(Listing[ItemT], Generic[ItemT]):
    """One page of the items that matched, and how many matched on all pages."""

    total: int = Field(description="Items matching the filters, all pages", examples=[137])
    page: int = Field(description="This page (1-based)", examples=[1])
    page_size: int = Field(description="Page size asked for", examples=[50])
