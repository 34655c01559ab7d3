"""Build a report file for the CLI or the admin chat command."""

from __future__ import annotations

import asyncio
from pathlib import Path

from reports.csv_files import write_csv
from reports.data import AgencyReport, collect
from reports.xlsx import write_xlsx


async def build(fy: int, round_number: int | None, out: Path) -> tuple[AgencyReport, list[Path]]:
    """Collect the figures and write them as XLSX, or CSV when the name ends in .csv (owner-only files).

    Writing takes seconds for a large agency, so it runs in a thread, not on the event loop.
    """
    report = await collect(fy, round_number)
    if out.suffix.lower() == ".csv":
        return report, await asyncio.to_thread(write_csv, report, out)
    return report, [await asyncio.to_thread(write_xlsx, report, out)]


def chat_reports_dir(data_dir: Path) -> Path:
    """Where reports built for the chat command are kept: a cache that PDPA erasure empties."""
    return data_dir / "reports"


def file_name(fy: int, round_number: int | None) -> str:
    """An ASCII file name (chat apps mangle Thai file names): report-2570-r1.xlsx."""
    return f"report-{fy}" + (f"-r{round_number}" if round_number else "") + ".xlsx"
