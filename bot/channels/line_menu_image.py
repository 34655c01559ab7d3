"""The LINE rich menu of a role: its tappable areas and the Thai picture drawn for them.

The tiles are the role's menu entries (`bot.menus`, declared on the routes). LINE shows
the uploaded picture and maps taps by coordinates alone, so the layout below is both what
is drawn and what is sent as `areas`. Each area sends the entry's tap text, a word its
route answers, as a plain message, so a tap reads in the chat like typing it.
"""

from __future__ import annotations

import functools

import hashlib
import io
import json
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from bot.menus import MenuItem
from config.texts import t

WIDTH, HEIGHT = 2500, 1686  # LINE's large full-width size; every role uses two rows
# Debian's fonts-thai-tlwg (installed by the Dockerfile); the first one found is used.
FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/tlwg/Garuda-Bold.ttf"),
    Path("/usr/share/fonts/truetype/tlwg/Loma-Bold.ttf"),
    Path("/usr/share/fonts/truetype/tlwg/Garuda.ttf"),
    Path("/usr/share/fonts/truetype/tlwg/Loma.ttf"),
)
BACKGROUND, TILE, LINE_COLOUR, INK = "#FFFFFF", "#E8F7EE", "#06C755", "#1B3A2A"


class MenuFontMissing(RuntimeError):
    """No Thai font to draw the menu with."""


def bounds(count: int) -> list[tuple[int, int, int, int]]:
    """(x, y, width, height) of `count` areas, two rows, left to right then top to bottom."""
    columns = (count + 1) // 2
    out = []
    for index in range(count):
        row, column = divmod(index, columns)
        x0, x1 = WIDTH * column // columns, WIDTH * (column + 1) // columns
        y0, y1 = HEIGHT * row // 2, HEIGHT * (row + 1) // 2
        out.append((x0, y0, x1 - x0, y1 - y0))
    return out


def menu_object(items: Sequence[MenuItem], name: str) -> dict[str, object]:
    """The rich menu object LINE's create call takes (JSON field names)."""
    return {
        "size": {"width": WIDTH, "height": HEIGHT},
        "selected": True,
        "name": name,
        "chatBarText": t("richmenu.chat_bar"),
        "areas": [
            {
                "bounds": {"x": x, "y": y, "width": w, "height": h},
                "action": {"type": "message", "label": item.label[:20], "text": item.tap},
            }
            for item, (x, y, w, h) in zip(items, bounds(len(items)), strict=True)
        ],
    }


def layout_version(items: Sequence[MenuItem]) -> str:
    """A short digest of what the menu looks like and does: a change means a new menu."""
    described = json.dumps([[i.label, i.tap] for i in items] + [WIDTH, HEIGHT, TILE, INK], ensure_ascii=False)
    return hashlib.sha256(described.encode()).hexdigest()[:10]


def font_path() -> Path:
    """The Thai font to draw with; raises MenuFontMissing naming what was looked for."""
    for path in FONT_CANDIDATES:
        if path.is_file():
            return path
    tried = ", ".join(str(p) for p in FONT_CANDIDATES)
    raise MenuFontMissing(f"no Thai font for the LINE rich menu: install fonts-thai-tlwg (looked for {tried})")


@functools.lru_cache(maxsize=8)
def render_png(items: tuple[MenuItem, ...]) -> bytes:
    """The menu picture as PNG bytes (CPU work: call it through asyncio.to_thread).

    About half a second each; a picture depends only on its tiles, so each is drawn once
    per process, however often menus are made again (a menu deleted by hand, a restart of
    the sync after a failure).
    """
    path = str(font_path())
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    margin = 18
    for item, (x, y, w, h) in zip(items, bounds(len(items)), strict=True):
        draw.rounded_rectangle(
            (x + margin, y + margin, x + w - margin, y + h - margin), radius=40, fill=TILE, outline=LINE_COLOUR, width=8
        )
        font = _fitting_font(draw, path, item.label, w - 2 * margin - 60)
        draw.text((x + w / 2, y + h / 2), item.label, font=font, fill=INK, anchor="mm")
    out = io.BytesIO()
    # A palette PNG of a few flat colours stays far under LINE's 1 MB limit.
    image.quantize(colors=32).save(out, format="PNG", optimize=True)
    return out.getvalue()


def _fitting_font(draw: ImageDraw.ImageDraw, path: str, text: str, width: int) -> ImageFont.FreeTypeFont:
    """The largest size up to 110 px at which `text` fits `width` on one line."""
    size = 110
    font = ImageFont.truetype(path, size)
    while size > 40 and draw.textlength(text, font=font) > width:
        size -= 6
        font = ImageFont.truetype(path, size)
    return font
