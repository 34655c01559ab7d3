"""Benchmark of the certificate reader on generated certificates and the shared real sample.

Generates N certificates per variant in each face set (see generate.py:
Debian's TLWG faces, and fifteen Google Thai families the reader's rules were
never tuned on, see webfonts.py), reads each one in
this single process, sequentially, with ``OMP_THREAD_LIMIT=1`` (one core, as
one pool worker has), and prints per-field accuracy, the all-four-fields-right
rate per variant and overall, for each face set, both, and the web files
printed wholly in families no model was trained on (``webfonts.HELD_OUT``),
median / p95 seconds per file, and how often each repair changed a line
(from the reader's trace) and its field came out right.

Comparison rules: name and course exact after normalising whitespace and the
order of stacked marks (which print alike); hours
numerically; completion date exactly; kind exactly; issuers as a list after
normalising whitespace.

Usage::

    .venv/bin/python bench/certificates/run.py                # 30 per variant
    .venv/bin/python bench/certificates/run.py --per-variant 5 --show-failures
    .venv/bin/python bench/certificates/run.py --reuse --out DRAW --answers new.jsonl   # compare two readers
"""

from __future__ import annotations

import os

os.environ["OMP_THREAD_LIMIT"] = "1"  # before anything can start tesseract

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from certificates import CertificateError, read_certificate  # noqa: E402
from certificates.thai_text import collapse_spaces  # noqa: E402
from pythainlp.util import normalize as thai_normalize  # noqa: E402

import generate  # noqa: E402
import webfonts  # noqa: E402

CORE = ("name", "course", "hours", "completed_on")
EXTRA = ("kind", "issuers", "code")
# The field a repair's role reads into: a repair that fired was right when its file's field is.
ROLE_FIELD = {"name": "name", "title": "course", "hours": "hours", "date": "completed_on", "issuers": "issuers"}


def _same_ink(text: str) -> str:
    # A few listed names carry marks out of order or doubled ("พันธ์ุ", "หาเเก้ว"): printed, they look
    # just like the standard spelling, which is all a reader can give back.
    return collapse_spaces(thai_normalize(text))


def _norm(value):
    if isinstance(value, str):
        return _same_ink(value)
    if isinstance(value, list):
        return [_same_ink(v) for v in value]
    return value


def compare(expected: dict, got: dict | None) -> dict[str, bool]:
    """Field-by-field verdicts for one file."""
    if got is None:
        return {k: False for k in CORE + EXTRA}
    out = {}
    for key in ("name", "course", "kind", "completed_on", "code"):
        out[key] = _norm(expected.get(key)) == _norm(got.get(key))
    exp_h, got_h = expected.get("hours"), got.get("hours")
    out["hours"] = exp_h is not None and got_h is not None and abs(float(exp_h) - float(got_h)) < 1e-6
    out["issuers"] = _norm(expected.get("issuers") or []) == _norm(got.get("issuers") or [])
    return out


def read_one(path: Path) -> tuple[dict | None, float, str | None]:
    """Read one file, timing it; returns (json dict or None, seconds, error code)."""
    data = path.read_bytes()
    t0 = time.perf_counter()
    try:
        extraction = read_certificate(data, path.name)
        result, err = extraction.to_json_dict(path.name), None
        result["trace"] = extraction.trace  # which repairs changed a line (certificates.repairs)
    except CertificateError as exc:
        result, err = None, exc.code
    return result, time.perf_counter() - t0, err


def pct(n: int, d: int) -> str:
    """n of d as a percentage, aligned."""
    return f"{100.0 * n / d:5.1f}%" if d else "   n/a"


def _cell(ok: int, n: int) -> str:
    return f"{pct(ok, n)} ({ok:>3}/{n:<3})" if n else f"{'n/a':>16}"


def main(argv: list[str] | None = None) -> int:
    """Generate, read, and print the figures."""
    ap = argparse.ArgumentParser(description="certificate reader benchmark")
    ap.add_argument("--per-variant", type=int, default=30)
    ap.add_argument("--seed", type=int, default=2566)
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--variants", default=",".join(generate.VARIANTS))
    ap.add_argument("--faces", default=",".join(generate.FACE_SETS),
                    help="face sets to render in: tlwg (Debian's), web (Google families)")
    ap.add_argument("--reuse", action="store_true", help="read what is already in --out")
    ap.add_argument("--show-failures", action="store_true")
    ap.add_argument("--answers", type=Path, help="write each file's answer here (JSON lines), to compare two readers")
    args = ap.parse_args(argv)

    variants = tuple(args.variants.split(","))
    face_sets = tuple(args.faces.split(","))
    records: list[dict] = []
    for faces in face_sets:
        folder = args.out / faces
        if args.reuse and (folder / "truth.jsonl").exists():
            recs = [json.loads(x) for x in (folder / "truth.jsonl").read_text(encoding="utf-8").splitlines()]
            recs = [r for r in recs if r["variant"] in variants]
        else:
            t0 = time.perf_counter()
            try:
                recs = generate.generate(folder, args.per_variant, args.seed, variants, faces)
            except RuntimeError as exc:
                print(f"{faces}: {exc}; skipped")
                continue
            print(f"generated {len(recs)} files ({faces} faces) in {time.perf_counter() - t0:.0f} s into {folder}")
        records += [{**r, "faces": faces, "path": str(folder / r["file"])} for r in recs]

    times: list[float] = []
    verdicts: list[tuple[dict, dict[str, bool]]] = []
    failures: list[str] = []
    answers = args.answers.open("w", encoding="utf-8") if args.answers else None
    fired: dict[tuple[str, str], list[int]] = {}  # (repair, role) -> [files it changed a line of, of them right]
    for rec in records:
        got, secs, err = read_one(Path(rec["path"]))
        times.append(secs)
        if answers:
            fields = {k: (got or {}).get(k) for k in CORE + EXTRA}
            trace = [[step.repair, step.role, step.before, step.after] for step in (got or {}).get("trace", [])]
            answers.write(json.dumps({"file": f"{rec['faces']}/{rec['file']}", "error": err, **fields, "trace": trace},
                                     ensure_ascii=False, default=str) + "\n")
        verdict = compare(rec, got)
        verdicts.append((rec, verdict))
        for key in {(step.repair, step.role) for step in (got or {}).get("trace", [])}:
            counts = fired.setdefault(key, [0, 0])
            counts[0] += 1
            counts[1] += verdict[ROLE_FIELD[key[1]]]
        if not all(verdict[k] for k in CORE):
            wrong = [k for k in CORE + ("kind",) if not verdict[k]]
            where = f"{rec['faces']}/{rec['file']} ({secs:.1f}s) name font {rec['name_font']}, body {rec['body_font']}"
            lines = [f"{where} error={err}" if err else where]
            for k in wrong:
                lines.append(f"    {k}: expected {rec.get(k)!r} got {(got or {}).get(k)!r}")
            failures.append("\n".join(lines))

    if answers:
        answers.close()
    groups = [(faces, [v for v in verdicts if v[0]["faces"] == faces]) for faces in face_sets]
    groups = [g for g in groups if g[1]]
    if len(groups) > 1:
        groups.append(("all", verdicts))
    # Web files printed wholly in families no model was trained on: how the reader does on a new face.
    unseen = [v for v in verdicts
              if v[0]["faces"] == "web" and {v[0]["body_font"], v[0]["name_font"]} <= set(webfonts.HELD_OUT)]
    if unseen:
        groups.append(("held-out", unseen))

    def row(label: str, test) -> str:
        cells = []
        for _, vs in groups:
            counted = [x for x in (test(r, v) for r, v in vs) if x is not None]
            cells.append(_cell(sum(map(bool, counted)), len(counted)))
        return f"  {label:<15}" + "  ".join(cells)

    print()
    print(f"files: {len(verdicts)}   (one process, sequential, OMP_THREAD_LIMIT=1)")
    header = f"{'':17}" + "  ".join(f"{name + ' faces' if name in face_sets else name:<16}" for name, _ in groups)
    print("per-field accuracy:")
    print(header)
    for key in CORE + EXTRA:
        print(row(key, lambda r, v, key=key: v[key]))
        if key == "name":
            # The reader consults PyThaiNLP's name lists: names off them show whether the lists flatter it.
            print(row("  on name lists", lambda r, v: v["name"] if r.get("name_listed", True) else None))
            print(row("  not on lists", lambda r, v: None if r.get("name_listed", True) else v["name"]))
            # Long ranks with long given and family names fill the line from frame to frame.
            print(row("  long names", lambda r, v: v["name"] if r.get("name_long") else None))
    print("all four fields right (name, course, hours, completed_on):")
    print(header)
    for variant in variants:
        print(row(variant, lambda r, v, variant=variant: all(v[k] for k in CORE) if r["variant"] == variant else None))
    print(row("overall", lambda r, v: all(v[k] for k in CORE)))
    if times:
        q = sorted(times)
        p95 = q[min(len(q) - 1, int(round(0.95 * (len(q) - 1))))]
        print(f"seconds per file: median {statistics.median(times):.2f}  p95 {p95:.2f}  max {max(times):.2f}")
    if fired:
        print("repairs that changed a line: files, and of them with that field right in the end")
        for (name, role), (n, right) in sorted(fired.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            print(f"  {name:<30} {role:<6} {n:>4} files  {right:>4} right")

    shared = Path(os.environ.get("SHARED_DIR", REPO.parent / "shared"))
    sample = shared / "samples" / "certificates" / "ocsc-cocert-2566-team-leader.png"
    if sample.exists():
        expected = json.loads(sample.with_suffix(".json").read_text(encoding="utf-8"))
        got, secs, err = read_one(sample)
        verdict = compare(expected, got)
        status = "ALL FOUR RIGHT" if all(verdict[k] for k in CORE) else "WRONG"
        print(f"real sample {sample.name}: {status} in {secs:.2f} s")
        for key in CORE + EXTRA:
            print(f"  {key:<13} {'ok ' if verdict[key] else 'BAD'} {(got or {}).get(key)!r}")
    else:
        print(f"real sample not found under {shared} (set SHARED_DIR)")

    if args.show_failures and failures:
        print("\nfailures:")
        print("\n".join(failures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
