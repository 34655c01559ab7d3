"""A perceptual fingerprint of a certificate picture, to spot the same certificate sent again.

A difference hash (dHash) of the page shrunk to 9x8 grey pixels: robust to the
re-compression, resizing and small light changes chat apps apply, cheap to
compute, and compared by Hamming distance. Written here rather than taken from
the imagehash package, which would pull in SciPy and PyWavelets for 15 lines.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

HASH_SIZE = 8


def difference_hash(data: bytes) -> str | None:
    """64-bit dHash as 16 hex digits, or None when the bytes are not a picture (e.g. a PDF)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.draft("L", (64, 64))  # JPEG decodes at reduced size: fast
            small = ImageOps.exif_transpose(image).convert("L").resize(
                (HASH_SIZE + 1, HASH_SIZE), Image.Resampling.LANCZOS
            )
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    pixels = list(small.getdata())
    bits = 0
    for row in range(HASH_SIZE):
        for col in range(HASH_SIZE):
            left = pixels[row * (HASH_SIZE + 1) + col]
            right = pixels[row * (HASH_SIZE + 1) + col + 1]
            bits = (bits << 1) | (left > right)
    return f"{bits:016x}"
