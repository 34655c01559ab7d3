"""Command-line extraction, called by the app's ``python -m bot extract FILE... [--json] [--trace]``.

The fields go to standard output (one JSON object a line with ``--json``);
the times go to standard error, so the JSON keeps the reader's shape: first
the start-up (the reader's models loaded, about 2 s on one core, see
``warm_up.py``), then each file's own time, then the median, which is a
warm file's time, since the start-up is not in it. ``--trace`` adds each
repair that changed a line (see ``repairs``).
"""

from __future__ import annotations

import dataclasses
import json
import statistics
import sys
import time
from pathlib import Path
from typing import TextIO

from .errors import CertificateError
from .extraction import JSON_KEYS, TraceStep
from .stages import read_certificate
from .warm_up import warm_up


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


def extract_main(
    paths: list[str], as_json: bool, out: TextIO | None = None, trace: bool = False, times: TextIO | None = None
) -> int:
    """Read each file and print one JSON object per line (or a short block); 1 only if every file failed.

    With ``trace``, each repair that changed a line is printed too: as lines
    after the block, or as a ``trace`` list in the JSON object. The start-up and
    each file's seconds are printed to ``times`` (standard error).
    """
    out = out or sys.stdout
    times = times or sys.stderr
    print(f"start-up: {warm_up():.2f} s (reader imported, models loaded)", file=times, flush=True)
    failures = 0
    seconds: list[float] = []
    for path in paths:
        steps: list[TraceStep] = []
        started = time.perf_counter()
        try:
            data = Path(path).read_bytes()
            extraction = read_certificate(data, Path(path).name)
            record, steps = extraction.to_json_dict(path), extraction.trace
        except CertificateError as exc:
            record = _error_record(path, exc.code, str(exc))
        except OSError as exc:
            record = _error_record(path, "unreadable_path", exc.strerror or str(exc))
        seconds.append(time.perf_counter() - started)
        print(f"{path}: {seconds[-1]:.2f} s", file=times, flush=True)
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
    if seconds:
        print(f"files: {len(seconds)}, median {statistics.median(seconds):.2f} s a file after start-up, "
              f"total {sum(seconds):.2f} s", file=times, flush=True)
    return 1 if paths and failures == len(paths) else 0
