"""Write the report as CSV: the per-person table at the given path, the other tables beside it."""

from __future__ import annotations

from pathlib import Path

from reports.data import AgencyReport
from reports.safe_cells import SafeCsvWriter
from reports.tables import tables
from storage.private_files import private_output


def write_csv(report: AgencyReport, path: Path) -> list[Path]:
    """Write UTF-8 CSV with a BOM (so Excel shows Thai), owner-only, formula-safe; returns every file written."""
    written: list[Path] = []
    for index, table in enumerate(tables(report)):
        target = path if index == 0 else path.with_name(f"{path.stem}-{table.slug}{path.suffix}")
        with private_output(target, "w", newline="", encoding="utf-8-sig") as fh:
            writer = SafeCsvWriter(fh)
            writer.writerow(table.headers)
            writer.writerows(table.rows())
        written.append(target)
    return written
