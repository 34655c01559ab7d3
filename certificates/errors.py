"""Typed errors of the certificate reader.

Each has a stable ``code`` so the chat layer can pick a Thai message by key
(e.g. ``certificate.error.too_large``) without parsing exception text.
"""

from __future__ import annotations


class CertificateError(Exception):
    """Base class: the file could not be read as a certificate."""

    code = "certificate_error"


class UnsupportedFile(CertificateError):
    """Not an image or PDF the reader understands (e.g. a Word file, a zip, plain text)."""

    code = "unsupported_file"


class CorruptFile(CertificateError):
    """An image or PDF that cannot be decoded: truncated download, damaged or encrypted file."""

    code = "corrupt_file"


class TooLarge(CertificateError):
    """Over the byte, pixel or decompression-bomb limits of :class:`ReaderLimits`."""

    code = "too_large"


class NotACertificate(CertificateError):
    """Decoded fine, but no certificate wording was found (a selfie, a blank page, a receipt)."""

    code = "not_a_certificate"
