"""Resource limits for reading one uploaded file."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReaderLimits:
    """Limits that protect the OCR workers from huge or hostile uploads."""

    max_bytes: int = 20 * 1024 * 1024  # LINE and Telegram cap files near this anyway
    max_pixels: int = 40_000_000  # 40 MP: above any phone camera in common use
    max_pdf_pages: int = 10  # the portal's PDF is one page; look a little further, not forever
    pdf_dpi: int = 200  # rasterising a text-less PDF page: A4 at 200 dpi is ~1650x2340 px
    max_side: int = 2600  # working resolution cap; larger images are downscaled before OCR


DEFAULT_LIMITS = ReaderLimits()
