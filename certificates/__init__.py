"""Certificate reader: OCSC course certificates (images, photos, PDFs) to structured fields.

Independent of chat and database.  The public API:

- :func:`read_certificate` (sync, CPU-bound) -> :class:`Extraction`; its stages,
  in order, are in ``stages``, and the repairs they run in ``repairs``
- :class:`ReaderPool` runs it in worker processes for asyncio code
- :class:`ReaderLimits`, the errors :class:`UnsupportedFile`, :class:`CorruptFile`,
  :class:`TooLarge`, :class:`NotACertificate` (all :class:`CertificateError`)
- :func:`load_catalog`, :func:`match_course`, :class:`CatalogEntry` for the course catalog
"""

from .catalog import CatalogEntry, CatalogMatch, load_catalog, match_course
from .errors import CertificateError, CorruptFile, NotACertificate, TooLarge, UnsupportedFile
from .extraction import Extraction
from .limits import ReaderLimits
from .pool import ReaderPool
from .stages import read_certificate

__all__ = [
    "CatalogEntry",
    "CatalogMatch",
    "CertificateError",
    "CorruptFile",
    "Extraction",
    "NotACertificate",
    "ReaderLimits",
    "ReaderPool",
    "TooLarge",
    "UnsupportedFile",
    "load_catalog",
    "match_course",
    "read_certificate",
]
