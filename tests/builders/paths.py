"""Where the repository, the shared folder and the real sample certificate are."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# SHARED_DIR wins; the default is the shared/ folder beside the repository.
SHARED = Path(os.environ.get("SHARED_DIR", REPO.parent / "shared"))
SAMPLE_CERTIFICATE = SHARED / "samples" / "certificates" / "ocsc-cocert-2566-team-leader.png"
