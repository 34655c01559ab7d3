"""Loading uploads: bytes (+ filename/MIME hint) to pages of images or PDF text.

Supports JPEG, PNG, WebP, GIF, BMP, TIFF, HEIC/HEIF/AVIF (pillow-heif) and
PDF (pypdfium2).  The format is decided by the file's magic bytes, not its
name: chat apps rename files and users send ``.jpg`` PDFs.  Every limit of
:class:`ReaderLimits` is checked before the expensive decode.
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from PIL import Image, ImageFile, ImageOps

from .errors import CorruptFile, TooLarge, UnsupportedFile
from .limits import DEFAULT_LIMITS, ReaderLimits

logger = logging.getLogger(__name__)

try:  # HEIC/HEIF from iPhones; optional so the reader still works without it
    import pillow_heif

    pillow_heif.register_heif_opener()
    _HEIF = True
except ImportError:  # pragma: no cover - pillow-heif is a project dependency
    _HEIF = False

# A truncated download must be reported, not silently read as half a picture.
ImageFile.LOAD_TRUNCATED_IMAGES = False

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"}
_IMAGE_MIMES_BY_EXT = {
    "jpg": "jpeg", "jpeg": "jpeg", "png": "png", "webp": "webp", "heic": "heif", "heif": "heif",
    "gif": "gif", "bmp": "bmp", "tif": "tiff", "tiff": "tiff", "pdf": "pdf", "avif": "heif",
}


@dataclass(slots=True)
class Page:
    """One page of an upload: a PDF text layer if it has one, and a way to get its picture."""

    number: int  # 1-based
    text: str | None
    render: Callable[[], Image.Image]


def sniff_format(data: bytes, filename: str | None = None, mime: str | None = None) -> str:
    """The file format from magic bytes: jpeg, png, webp, heif, gif, bmp, tiff or pdf."""
    head = data[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "heif"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:2] == b"BM":
        return "bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    # PDF allows junk before the header (within the first KiB).
    if b"%PDF-" in data[:1024]:
        return "pdf"
    ext = (filename or "").rsplit(".", 1)[-1].lower() if filename and "." in filename else ""
    hint = _IMAGE_MIMES_BY_EXT.get(ext) or (mime or "").split("/")[-1].lower()
    if hint in {"jpeg", "png", "webp", "heif", "heic", "pdf"}:
        # Named like a picture or PDF but the bytes say otherwise: damaged.
        raise CorruptFile(f"file named as {hint} has no {hint} signature")
    raise UnsupportedFile("not an image or PDF")


def _check_bytes(data: bytes, limits: ReaderLimits) -> None:
    """Reject empty and oversized uploads before any decoding."""
    if not data:
        raise CorruptFile("empty file")
    if len(data) > limits.max_bytes:
        raise TooLarge(f"{len(data)} bytes > {limits.max_bytes}")


def _flatten(img: Image.Image) -> Image.Image:
    """RGB on white: transparent PNGs (like the portal's) must not turn black."""
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        img = img.convert("RGBA")
        background = Image.new("RGB", img.size, (255, 255, 255))
        background.paste(img, mask=img.getchannel("A"))
        return background
    if img.mode != "RGB":
        return img.convert("RGB")
    return img


def load_image(data: bytes, limits: ReaderLimits = DEFAULT_LIMITS) -> Image.Image:
    """Decode an image upload to an upright RGB picture (EXIF orientation applied)."""
    _check_bytes(data, limits)
    try:
        with warnings.catch_warnings():
            # Pillow's decompression-bomb guard warns before it errors; treat both as too large.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            w, h = img.size
            if w * h > limits.max_pixels:
                raise TooLarge(f"{w}x{h} px > {limits.max_pixels}")
            if getattr(img, "n_frames", 1) > 1:
                img.seek(0)  # animated GIF/WebP or multi-page TIFF: the first frame
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise TooLarge(str(exc)) from exc
    except TooLarge:
        raise
    except Image.UnidentifiedImageError as exc:
        raise CorruptFile("image cannot be identified") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # Pillow reports truncated and damaged data as OSError/SyntaxError.
        raise CorruptFile(f"image cannot be decoded: {exc}") from exc
    try:
        img = ImageOps.exif_transpose(img) or img
    except Exception:  # a broken EXIF block should not lose an otherwise good picture
        logger.debug("EXIF orientation unreadable; using pixels as stored")
    return _flatten(img)


def _pdf_pages(data: bytes, limits: ReaderLimits) -> Iterator[Page]:
    """Pages of a PDF, each with its text layer and a rasteriser."""
    import pypdfium2 as pdfium

    _check_bytes(data, limits)
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        # Damaged files and password-protected ones end here alike.
        raise CorruptFile(f"PDF cannot be opened: {exc}") from exc
    try:
        count = len(doc)
        if count == 0:
            raise CorruptFile("PDF has no pages")
        for index in range(min(count, limits.max_pdf_pages)):
            try:
                page = doc[index]
                textpage = page.get_textpage()
                text = textpage.get_text_range() or None
            except pdfium.PdfiumError as exc:
                raise CorruptFile(f"PDF page {index + 1} cannot be read: {exc}") from exc

            def render(page=page) -> Image.Image:
                """Rasterise the page at limits.pdf_dpi or its pictures' own resolution, capped at the pixel limit."""
                w_pt, h_pt = page.get_size()
                scale = max(limits.pdf_dpi / 72.0, _picture_scale(page))
                pixels = w_pt * h_pt * scale * scale
                if pixels > limits.max_pixels:
                    scale *= (limits.max_pixels / pixels) ** 0.5
                try:
                    bitmap = page.render(scale=scale, fill_color=(255, 255, 255, 255))
                    return bitmap.to_pil().convert("RGB")
                except pdfium.PdfiumError as exc:
                    raise CorruptFile(f"PDF page cannot be rendered: {exc}") from exc

            yield Page(index + 1, text, render)
    finally:
        doc.close()


def _picture_scale(page) -> float:
    """Pixels per point at which the page's largest picture is drawn at its own resolution.

    A picture saved as PDF keeps its pixels but may get any page size (a
    1250 px scan on a 300 x 424 pt page): rendering at a fixed dpi would
    throw most of them away.
    """
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    best = 0.0
    try:
        for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
            px_w, _ = obj.get_px_size()
            left, _, right, _ = obj.get_bounds()
            if right - left > 1:
                best = max(best, px_w / (right - left))
    except pdfium.PdfiumError:  # a picture pdfium cannot measure leaves the default dpi
        return 0.0
    return best


def iter_pages(
    data: bytes,
    filename: str | None = None,
    mime: str | None = None,
    limits: ReaderLimits = DEFAULT_LIMITS,
) -> Iterator[Page]:
    """The pages of an upload: one for an image, up to limits.max_pdf_pages for a PDF."""
    _check_bytes(data, limits)
    kind = sniff_format(data, filename, mime)
    if kind == "pdf":
        yield from _pdf_pages(data, limits)
        return
    if kind == "heif" and not _HEIF:  # pragma: no cover
        raise UnsupportedFile("HEIF support is not installed")
    img = load_image(data, limits)
    yield Page(1, None, lambda: img)
