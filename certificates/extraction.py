"""The reader's result: the fields read from one certificate and how sure it is of each."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

@dataclass(frozen=True, slots=True)
class TraceStep:
    """One repair that changed a line: which, for which role, and the line before and after it."""

    repair: str
    role: str
    before: str
    after: str

    def __str__(self) -> str:
        return f"{self.repair} ({self.role}): {self.before!r} -> {self.after!r}"


# Keys of to_json_dict, in order; the CLI and the app's storage rely on exactly these.
JSON_KEYS = ("file", "name", "course", "code", "kind", "hours", "completed_on", "issuers", "confidence", "warnings")


@dataclass(slots=True)
class Extraction:
    """Fields read from a certificate.

    ``course`` is the catalog's name when the printed title matched a catalog
    entry, else the title as printed (normalised), with the warning
    ``course_not_in_catalog``.  ``code`` is set only for a confident,
    unambiguous catalog match.  Confidences are 0–1.
    """

    name: str | None = None
    course: str | None = None
    code: str | None = None
    kind: str | None = None  # "course" | "curriculum" | None
    hours: float | int | None = None
    completed_on: dt.date | None = None
    issuers: list[str] = field(default_factory=list)
    confidence: float = 0.0
    field_confidence: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    text: str = ""  # the normalised text the fields were read from
    page: int = 1  # which page of a PDF held the certificate
    source: str = "ocr"  # "ocr" or "text_layer"
    phash: str | None = None  # perceptual fingerprint of the picture, for duplicate checks
    # The repairs that changed a line, in the order they ran (``python -m bot extract --trace``).
    trace: list[TraceStep] = field(default_factory=list)

    def to_json_dict(self, file: str | None = None) -> dict[str, Any]:
        """The public JSON shape: file, name, course, code, kind, hours, completed_on, issuers, confidence, warnings."""
        hours: float | int | None = self.hours
        if isinstance(hours, float) and hours.is_integer():
            hours = int(hours)
        return {
            "file": file,
            "name": self.name,
            "course": self.course,
            "code": self.code,
            "kind": self.kind,
            "hours": hours,
            "completed_on": self.completed_on.isoformat() if self.completed_on else None,
            "issuers": list(self.issuers),
            "confidence": round(self.confidence, 3),
            "warnings": list(self.warnings),
        }
