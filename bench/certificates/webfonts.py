"""The bench's second face set: fifteen of Google's Thai families, which the reader's rules were never tuned on.

The generator's own faces are Debian's fonts-thai-tlwg.  Real certificates
(and the shared sample, in a Kanit-like face) use Google's Thai families
far more often, and a reader developed against the TLWG faces alone
flatters itself: on the bench's own draw it got all four fields right on
75% of these families' files against 96% of the TLWG ones.
So the bench also renders every variant in these families.

They are not Debian packages; the npm registry carries them as Fontsource
packages (``@fontsource/<family>``, OFL-licensed), one WOFF file per Unicode
subset.  ``npm pack`` fetches each package into a cache, and fontTools
merges a weight's Thai and Latin subsets (Thai lines carry Latin digits and
brackets) into one TrueType file Pillow can lay out.  Nothing is installed
or committed.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

CACHE = Path.home() / ".cache" / "ocsc-bench-fonts"
# Formal faces seen on government certificates; the handwriting-like Charm is left out.
FAMILIES = (
    "sarabun", "kanit", "prompt", "athiti", "mitr", "chakra-petch", "ibm-plex-sans-thai", "noto-sans-thai",
    "k2d", "niramit", "krub", "bai-jamjuree", "pridi", "taviraj", "trirong",
)
WEIGHTS = ("400", "700")
# Bench families the line network is trained on as well (train_line_recognizer.py): the faces
# certificates use most, the Sarabun, Prompt and Athiti, Kanit as on the shared sample, and
# the other common sans.  A reader is trained on the faces it will read; the other eight stay held
# out of all training, and the bench prints them apart, so they still say how it does on a new face.
NETWORK_FAMILIES = ("sarabun", "kanit", "prompt", "athiti", "mitr", "noto-sans-thai", "ibm-plex-sans-thai")
HELD_OUT = tuple(f for f in FAMILIES if f not in NETWORK_FAMILIES)


def _ttf(family: str, weight: str) -> Path:
    return CACHE / f"{family}-{weight}.ttf"


def _fetch(family: str) -> Path | None:
    """Unpack ``@fontsource/<family>`` into the cache; its ``files`` folder, or None when npm fails."""
    folder = CACHE / "packages" / family
    if (folder / "package" / "files").is_dir():
        return folder / "package" / "files"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            ["npm", "pack", "--silent", f"@fontsource/{family}"],
            cwd=folder, capture_output=True, text=True, timeout=120, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    tarballs = sorted(folder.glob("*.tgz"))
    if done.returncode != 0 or not tarballs:
        return None
    with tarfile.open(tarballs[-1]) as tar:
        tar.extractall(folder, filter="data")
    return folder / "package" / "files"


def _merge(files: Path, family: str, weight: str) -> bool:
    from fontTools.merge import Merger
    from fontTools.ttLib import TTFont

    subsets = [files / f"{family}-{subset}-{weight}-normal.woff" for subset in ("thai", "latin")]
    if not all(p.exists() for p in subsets):
        return False
    with tempfile.TemporaryDirectory() as tmp:
        plain = []
        for p in subsets:
            font = TTFont(p)
            font.flavor = None  # WOFF to plain sfnt: Merger reads TrueType files
            out = Path(tmp) / (p.stem + ".ttf")
            font.save(out)
            plain.append(str(out))
        Merger().merge(plain).save(_ttf(family, weight))
    return True


def family_files(family: str, weights: tuple[str, ...]) -> list[Path]:
    """TrueType files of those of ``family``'s weights that could be had, fetching once."""
    CACHE.mkdir(parents=True, exist_ok=True)
    if all(_ttf(family, w).exists() for w in weights):
        return [_ttf(family, w) for w in weights]
    files = _fetch(family)
    return [_ttf(family, w) for w in weights
            if _ttf(family, w).exists() or (files is not None and _merge(files, family, w))]


def web_font_families() -> dict[str, tuple[Path, Path]]:
    """(regular, bold) TrueType files of each held-out family that could be had, fetching once."""
    out: dict[str, tuple[Path, Path]] = {}
    try:
        import fontTools  # noqa: F401
    except ImportError:
        print("webfonts: fontTools is not installed; held-out faces skipped", file=sys.stderr)
        return out
    for family in FAMILIES:
        files = family_files(family, WEIGHTS)
        if len(files) < len(WEIGHTS):
            print(f"webfonts: @fontsource/{family} could not be had; skipped", file=sys.stderr)
            continue
        out[family] = (files[0], files[1])
    return out


if __name__ == "__main__":
    for name, (regular, bold) in web_font_families().items():
        print(name, regular, bold)
