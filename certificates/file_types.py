"""Recognise what a user sent from its first bytes, before anything else touches it."""

from __future__ import annotations

# Magic numbers of the formats people send from phones and the portal.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"%PDF-", 0, "application/pdf"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"BM", 0, "image/bmp"),
    (b"II*\x00", 0, "image/tiff"),
    (b"MM\x00*", 0, "image/tiff"),
)
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif"}

ACCEPTED = {"application/pdf", "image/jpeg", "image/png", "image/webp", "image/heic", "image/gif", "image/bmp", "image/tiff"}


def sniff_mime(head: bytes) -> str | None:
    """The MIME type the leading bytes show, or None for anything we do not read."""
    for magic, offset, mime in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "image/heic"
    if head[:1024].lstrip().startswith(b"%PDF-"):  # some generators prepend whitespace
        return "application/pdf"
    return None
