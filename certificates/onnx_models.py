"""Loading the certificate reader's small trained ONNX models (line network, digit glyph network)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def load_session(path: Path) -> Any | None:
    """An ONNX Runtime session for the model at ``path`` on one thread, or None when the file is missing."""
    if not path.exists():
        return None
    import onnxruntime

    opts = onnxruntime.SessionOptions()
    # One pool worker is one core: the reader's processes must not fight over threads.
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
