"""Lines of Thai print rendered for the reader's tests: dark text on white, a 30-px margin round the ink."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont


def printed_line(text: str, font: Path, size: int) -> np.ndarray:
    """``text`` set in ``font`` at ``size`` px with complex-script shaping, as a grey image."""
    fnt = ImageFont.truetype(str(font), size, layout_engine=ImageFont.Layout.RAQM)
    left, top, right, bottom = fnt.getbbox(text)
    img = Image.new("L", (right - left + 60, bottom - top + 60), 255)
    ImageDraw.Draw(img).text((30 - left, 30 - top), text, font=fnt, fill=0)
    return np.array(img)
