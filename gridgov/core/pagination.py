"""The one pager of every API list: ``@paginate(Pages, page_size=50)``.

Ninja's page number is an unbounded integer, and a page such as ``99999999999999999999`` becomes an
``OFFSET`` the database cannot hold (a 500). Here ``page`` and ``page_size`` are bounded, so such a
request is the usual 400 naming the field.
"""

from __future__ import annotations

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

MAX_PAGE = 1_000_000
MAX_PAGE_SIZE = 500


class Pages(PageNumberPagination):
    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)


class Mapped:
    """A queryset whose rows become dicts (``fn(row)``) only once the pager has counted and sliced it, so a
    page costs one count and one slice whatever the representation."""

    def __init__(self, qs, fn) -> None:
        self.qs, self.fn = qs, fn

    def count(self) -> int:
        return self.qs.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item):
        return [self.fn(row) for row in self.qs[item]]
