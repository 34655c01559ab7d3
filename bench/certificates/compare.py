"""Two readers' answers on one draw, file by file: where they differ, and which was right.

Usage (answers written by ``run.py --answers``, both on the same ``--out`` draw)::

    .venv/bin/python bench/certificates/compare.py DRAW old.jsonl new.jsonl

Prints every file whose four fields (name, course, hours, completed_on) or kind
differ between the two, marked "new right" (the new reader is right where the old
was wrong), "old right" (a regression), "both wrong" or "both right, kind differs",
and the counts of each; it exits 1 when there is a regression.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

from run import CORE, compare  # noqa: E402

SHOWN = CORE + ("kind",)


def _answers(path: Path) -> dict[str, dict]:
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {row["file"]: row for row in rows}


def _truth(draw: Path) -> dict[str, dict]:
    truth = {}
    for faces in sorted(p for p in draw.iterdir() if (p / "truth.jsonl").exists()):
        for line in (faces / "truth.jsonl").read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            truth[f"{faces.name}/{rec['file']}"] = rec
    return truth


def main(argv: list[str]) -> int:
    draw, old_path, new_path = (Path(a) for a in argv)
    truth, old, new = _truth(draw), _answers(old_path), _answers(new_path)
    counts = {"new right": 0, "old right": 0, "both wrong": 0, "both right, kind differs": 0}
    for name in sorted(set(old) & set(new)):
        a, b = old[name], new[name]
        if all(compare({k: a.get(k)}, {k: b.get(k)})[k] for k in SHOWN if k != "hours") and (
            a.get("hours") == b.get("hours")
        ):
            continue
        rec = truth[name]
        old_ok = all(compare(rec, a)[k] for k in CORE)
        new_ok = all(compare(rec, b)[k] for k in CORE)
        if old_ok and new_ok:
            verdict = "both right, kind differs"
        else:
            verdict = "new right" if new_ok else "old right" if old_ok else "both wrong"
        counts[verdict] += 1
        print(f"{name}: {verdict}")
        for key in SHOWN:
            if a.get(key) != b.get(key):
                print(f"    {key}: truth {rec.get(key)!r}  old {a.get(key)!r}  new {b.get(key)!r}")
    missing = set(old) ^ set(new)
    print(f"compared {len(set(old) & set(new))} files; differences: {counts}; in one file only: {len(missing)}")
    return 1 if counts["old right"] else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
