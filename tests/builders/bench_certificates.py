"""Whole certificate pages drawn by the bench's renderer (``bench/certificates/generate.py``), for the reader's tests."""

from __future__ import annotations

import io
import random
import sys
from typing import Any

from tests.builders.paths import REPO

BENCH = REPO / "bench" / "certificates"


def bench_generator() -> Any:
    """The bench's ``generate`` module (it imports its neighbours as top-level modules, so its folder goes on the path)."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    import generate

    return generate


def _portrait_spec(*, name: str, course: str, hours: int, completed_on: str, date_line: str, issuer: str,
                   completion: str, body_face: str, name_face: str, **extra: Any) -> Any:
    """The bench's ``Spec`` of a portrait course certificate from one issuer, with an intro the bench prints."""
    generate = bench_generator()
    return generate.Spec(
        name=name,
        course=course,
        kind="course",
        code=None,
        hours=hours,
        completed_on=completed_on,
        issuers=[issuer],
        issuer_line=issuer,
        partner=None,
        intro=generate.INTROS[0],
        completion=completion,
        hours_line=f"(รวมระยะเวลาทั้งสิ้น {hours} ชั่วโมง)",
        date_line=date_line,
        body_font=body_face,
        name_font=name_face,
        landscape=False,
        **extra,
    )


def certificate_photo(*, body_face: str, name_face: str, seed: int) -> bytes:
    """A phone photo (JPEG) of a clean portrait certificate printed in the TLWG faces given, as the bench takes one."""
    generate = bench_generator()
    spec = _portrait_spec(
        name="นายมะตอสันต์ จันญาเรือง", course="การออกแบบการบริการประชาชนภาครัฐ", hours=10, completed_on="2025-07-23",
        date_line="ให้ไว้ ณ วันที่ 23 กรกฎาคม พ.ศ. 2568", issuer=generate.OCSC_SHORT, completion="ได้ผ่านการอบรม",
        body_face=body_face, name_face=name_face,
    )
    rng = random.Random(seed)
    return generate.phone_photo(generate.render(spec, rng), rng)


def certificate_png(name: str, *, face: str, name_wraps: bool = False, seed: int = 2704) -> bytes:
    """A clean portrait certificate naming ``name``, printed in the TLWG ``face``, as PNG bytes.

    ``name_wraps``: printed by a template that breaks a name too wide for its
    text box at a space, else by one that sets it smaller on one line.
    """
    generate = bench_generator()
    spec = _portrait_spec(
        name=name, course="การบริหารผลการปฏิบัติราชการ", hours=8, completed_on="2025-06-16",
        date_line="ให้ไว้ ณ วันที่ 16 มิถุนายน พ.ศ. 2568", issuer=generate.OCSC_FULL,
        completion=generate.COMPLETIONS[0], body_face=face, name_face=face, name_long=True, name_wraps=name_wraps,
    )
    out = io.BytesIO()
    generate.render(spec, random.Random(seed)).save(out, "PNG")
    return out.getvalue()
