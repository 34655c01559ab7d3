"""Spreadsheet formula injection: text a spreadsheet would run as a formula is written as plain text.

Staff type course titles, names and reasons; a cell such as `=HYPERLINK("http://x","y")` in a CSV
or XLSX would run when HR opens the file. Every CSV and XLSX this service writes passes its cells
through here. Text starting with a formula character gets a leading apostrophe (OWASP's advice);
numbers, dates and booleans are left alone so that sheets can still sum them.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any

# "=", "+", "-", "@" start formulas in Excel, LibreOffice and Google Sheets; tab and CR make some of
# them re-read the cell; the full-width forms are turned into the ASCII ones by East Asian input.
FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


def neutralise(value: Any) -> Any:
    """The value itself, or text that starts with a formula character prefixed with an apostrophe."""
    if isinstance(value, str) and value and value[0] in FORMULA_STARTS:
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    """Every cell of a row neutralised."""
    return [neutralise(value) for value in row]


class SafeCsvWriter:
    """`csv.writer` whose rows are neutralised before they are written."""

    def __init__(self, fh: IO[str], **fmtparams: Any) -> None:
        self._writer = csv.writer(fh, **fmtparams)

    def writerow(self, row: Iterable[Any]) -> Any:
        """Write one neutralised row."""
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write every row, neutralised."""
        for row in rows:
            self._writer.writerow(safe_row(row))
