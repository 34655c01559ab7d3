"""Loading everything the reader needs before its first file, so that each file's time is its own.

The reader loads its models on first use: Tesseract's engines (``tha+eng``,
``tha``, the Thai-script model, ``eng``, orientation), the line network,
the digit and twin-letter classifiers, PyThaiNLP's name lists and
dictionary, and the course catalog.  Together they take about two seconds
on one core, which would otherwise fall on the first file read.  A pool
worker warms up as it starts (``pool.py``); ``python -m bot extract`` warms
up before its first file and reports that time apart (``cli.py``).
"""

from __future__ import annotations

import time


def warm_up() -> float:
    """Import the reader and load its catalog, engines, models and word lists; returns the seconds it took."""
    started = time.perf_counter()
    import numpy as np

    from . import line_recognizer, stages, thai_digits, twin_letters  # noqa: F401  (importing is part of it)
    from .catalog import default_catalog
    from .known_names import load_lists
    from .ocr import load_engines, ocr_lines, tesseract_available
    from .thai_text import load_word_lists, thai_word_cost

    default_catalog()
    if tesseract_available():
        load_engines()
        # One page read pages the Thai model's weights in and sets up its buffers.
        ocr_lines(np.full((48, 96), 255, np.uint8))
    line_recognizer.load_model()
    thai_digits.load_models()
    twin_letters.load_models()
    load_lists()
    load_word_lists()
    thai_word_cost("การอบรม")  # builds the word tokenizer's dictionary trie
    return time.perf_counter() - started
