"""Wagtail's limit/offset pagination with an offset that a database can hold.

Wagtail 8.0's ``WagtailLimitOffsetPagination`` bounds ``limit`` but not ``offset``:
``?offset=10**30`` reaches the database and fails there (a 500 on SQLite). Ours
refuses it as bad input (422), like any other out-of-range number.
"""

from ninja import Field
from wagtail.api.v3.pagination import WagtailLimitOffsetPagination

from wagtail_securelink.api.schemas import MAX_ID

__all__ = ["Pagination"]


class Pagination(WagtailLimitOffsetPagination):
    class Input(WagtailLimitOffsetPagination.Input):
        offset: int = Field(default=0, ge=0, le=MAX_ID)
