"""Spreadsheet-safe CSV for our exports: the activity report's and the API's.

A CSV cell that begins with ``=``, ``+``, ``-`` or ``@`` is run as a formula by Excel,
LibreOffice and Google Sheets, and a leading tab or carriage return lets one slip past
some of them ("CSV injection", OWASP). Our exports hold text that strangers choose:
the address a visitor types at a gate, a user agent, an item's title. Such a cell is
prefixed with ``'``, which spreadsheets read as "this is text" and do not display.
Wagtail's own CSV export does not do this (its XLSX export does, by cell type), so
``reports.ActivityReportView`` and the API's CSV both pass their cells through
``safe_cell``.
"""

import csv
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["FORMULA_TRIGGERS", "csv_lines", "safe_cell"]

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value``, with ``'`` in front when it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


class _Line:
    """A file-like target for ``csv.writer`` that hands each line back to the caller."""

    def write(self, value: str) -> str:
        return value


def csv_lines(headings: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """One CSV line per row, headings first, every cell through ``safe_cell``.

    A generator: rows are read one at a time, so a ``StreamingHttpResponse`` over it
    holds one row in memory whatever the number of rows.
    """
    writer = csv.writer(_Line())
    yield writer.writerow([safe_cell(heading) for heading in headings])
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])
