"""End-to-end check of Thai-digit reading: hours and completion date on certificates printed in Thai digits.

The main bench (``run.py``) prints Thai digits on only ~15% of certificates,
too few to tell a better digit classifier from noise.  This script draws
certificates with the bench generator (``generate.py``, imported unchanged),
forces the hours and date lines into Thai digits, degrades them as the
``clean``, ``chat_jpeg``, ``photo``, ``rotated``, ``screenshot`` and ``pdf``
variants, reads each with :func:`certificates.read_certificate` and prints
hours and completed_on accuracy per variant.  The generator's fonts are the
digit classifier's held-out fonts, so this measures it on unseen faces.

Usage::

    .venv/bin/python bench/certificates/digits_eval.py                  # 20 per variant, 2 processes
    .venv/bin/python bench/certificates/digits_eval.py --per-variant 4 --show-failures
"""

from __future__ import annotations

import os

os.environ["OMP_THREAD_LIMIT"] = "1"  # before anything can start tesseract

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import multiprocessing  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

VARIANTS = ("clean", "chat_jpeg", "photo", "rotated", "screenshot", "pdf")


def make_file(variant: str, spec: generate.Spec, rng: random.Random) -> tuple[bytes, str]:
    """The certificate of ``spec`` degraded as ``variant``: (file bytes, extension)."""
    img = generate.render(spec, rng)
    if variant == "clean":
        return generate._png(img), "png"
    if variant == "chat_jpeg":
        return generate.chat_jpeg(img, rng), "jpg"
    if variant == "photo":
        return generate.phone_photo(img, rng), "jpg"
    if variant == "rotated":
        return generate.rotated(img, rng)[0], "jpg"
    if variant == "screenshot":
        data = generate.screenshot(img, rng)
        return data, "png" if data[:4] == b"\x89PNG" else "jpg"
    if variant == "pdf":
        return generate.image_pdf(img, rng), "pdf"
    raise ValueError(variant)


def build(out_dir: Path, per_variant: int, seed: int) -> list[dict]:
    """Write the certificates (Thai digits forced) and return one truth record per file."""
    rng = random.Random(seed)
    catalog, names = generate.load_catalog(), generate._name_lists()
    records = []
    for variant in VARIANTS:
        for i in range(per_variant):
            spec = generate.make_spec(rng, catalog, names, generate.face_set("tlwg"))
            # Idempotent on lines already in Thai digits.
            spec = dataclasses.replace(
                spec, hours_line=generate._thai_digits(spec.hours_line), date_line=generate._thai_digits(spec.date_line)
            )
            data, ext = make_file(variant, spec, rng)
            path = out_dir / f"{variant}_{i:03d}.{ext}"
            path.write_bytes(data)
            records.append({"path": str(path), "variant": variant, "hours": spec.hours,
                            "completed_on": spec.completed_on, "font": spec.body_font,
                            "hours_line": spec.hours_line, "date_line": spec.date_line})
    return records


def read(path: str) -> tuple[float | None, str | None, float]:
    """(hours, completed_on ISO date, seconds) read from one file; Nones when it is not read."""
    from certificates import CertificateError, read_certificate

    t0 = time.perf_counter()
    try:
        ext = read_certificate(Path(path).read_bytes(), Path(path).name)
    except CertificateError:
        return None, None, time.perf_counter() - t0
    on = ext.completed_on.isoformat() if ext.completed_on else None
    return ext.hours, on, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    """Generate, read in parallel, print accuracy per variant."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-variant", type=int, default=20)
    ap.add_argument("--seed", type=int, default=2568)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--show-failures", action="store_true")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="digits_eval_") as tmp:
        t0 = time.perf_counter()
        records = build(Path(tmp), args.per_variant, args.seed)
        print(f"generated {len(records)} certificates in {time.perf_counter() - t0:.0f} s", flush=True)
        # Spawned, not forked: a fork after OpenCV/BLAS started threads can deadlock.
        with ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            results = list(pool.map(read, [r["path"] for r in records]))
    print(f"{'variant':<11} {'n':>3} {'hours':>7} {'date':>7} {'both':>7}")
    totals = [0, 0, 0, 0]
    failures = []
    for variant in VARIANTS:
        n = h_ok = d_ok = both = 0
        for rec, (hours, on, _) in zip(records, results):
            if rec["variant"] != variant:
                continue
            h = hours is not None and abs(float(hours) - rec["hours"]) < 1e-6
            d = on == rec["completed_on"]
            n, h_ok, d_ok, both = n + 1, h_ok + h, d_ok + d, both + (h and d)
            if not (h and d):
                failures.append((rec, hours, on))
        totals = [totals[0] + n, totals[1] + h_ok, totals[2] + d_ok, totals[3] + both]
        print(f"{variant:<11} {n:>3} {h_ok / n:>7.1%} {d_ok / n:>7.1%} {both / n:>7.1%}")
    n, h_ok, d_ok, both = totals
    print(f"{'all':<11} {n:>3} {h_ok / n:>7.1%} {d_ok / n:>7.1%} {both / n:>7.1%}")
    secs = sorted(r[2] for r in results)
    print(f"median {secs[len(secs) // 2]:.2f} s per file")
    if args.show_failures:
        for rec, hours, on in failures:
            print(f"{Path(rec['path']).name:<18} {rec['font']:<11} hours {rec['hours']:g}->{hours}  "
                  f"date {rec['completed_on']}->{on}  | {rec['hours_line']} | {rec['date_line']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
