"""Command-line extraction, called by the app's ``python -m bot extract FILE... [--json] [--trace]``."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import TextIO

from .errors import CertificateError
from .extraction import JSON_KEYS, TraceStep
from .stages import read_certificate


def _error_record(path: str, code: str, message: str) -> dict:
    record = {key: None for key in JSON_KEYS}
    record.update(file=path, issuers=None, warnings=None, error=code, message=message)
    return record


def _human(record: dict) -> str:
    if "error" in record:
        return f"{record['file']}: ERROR {record['error']}: {record['message']}"
    hours = record["hours"] if record["hours"] is not None else "-"
    lines = [
        f"{record['file']}:",
        f"  name:       {record['name'] or '-'}",
        f"  course:     {record['course'] or '-'}" + (f"  [{record['code']}]" if record["code"] else ""),
        f"  kind:       {record['kind'] or '-'}",
        f"  hours:      {hours}",
        f"  completed:  {record['completed_on'] or '-'}",
        f"  issuers:    {', '.join(record['issuers']) or '-'}",
        f"  confidence: {record['confidence']:.2f}",
    ]
    if record["warnings"]:
        lines.append(f"  warnings:   {', '.join(record['warnings'])}")
    return "\n".join(lines)


def _trace_lines(steps: list[TraceStep]) -> list[str]:
    return [f"  repair {step}" for step in steps] or ["  repair (none changed a line)"]


def extract_main(paths: list[str], as_json: bool, out: TextIO | None = None, trace: bool = False) -> int:
    """Read each file and print one JSON object per line (or a short block); 1 only if every file failed.

    With ``trace``, each repair that changed a line is printed too: as lines
    after the block, or as a ``trace`` list in the JSON object.
    """
    out = out or sys.stdout
    failures = 0
    for path in paths:
        steps: list[TraceStep] = []
        try:
            data = Path(path).read_bytes()
            extraction = read_certificate(data, Path(path).name)
            record, steps = extraction.to_json_dict(path), extraction.trace
        except CertificateError as exc:
            record = _error_record(path, exc.code, str(exc))
        except OSError as exc:
            record = _error_record(path, "unreadable_path", exc.strerror or str(exc))
        if "error" in record:
            failures += 1
        if as_json:
            if trace and "error" not in record:
                record["trace"] = [dataclasses.asdict(step) for step in steps]
            print(json.dumps(record, ensure_ascii=False), file=out)
        else:
            print(_human(record), file=out)
            if trace and "error" not in record:
                print("\n".join(_trace_lines(steps)), file=out)
        out.flush()
    return 1 if paths and failures == len(paths) else 0
