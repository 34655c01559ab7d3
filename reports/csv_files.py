"""Write the report as CSV: the per-person table at the given path, the other tables beside it."""

from __future__ import annotations

import csv
from pathlib import Path

from reports.data import AgencyReport
from reports.tables import tables


def write_csv(report: AgencyReport, path: Path) -> list[Path]:
    """Write UTF-8 CSV with a BOM (so Excel shows Thai); returns every file written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for index, table in enumerate(tables(report)):
        target = path if index == 0 else path.with_name(f"{path.stem}-{table.slug}{path.suffix}")
        with target.open("w", newline="", encoding="utf-8-sig") as fh:
            writer = csv.writer(fh)
            writer.writerow(table.headers)
            writer.writerows(table.rows())
        written.append(target)
    return written
