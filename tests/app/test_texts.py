"""The Thai message catalog: every key the code uses exists, and placeholders line up."""

from __future__ import annotations

import re

from config.texts import catalog, placeholders, t
from tests.builders.paths import REPO

SYMBOLS = {"whoami.none", "approval.pending_flag"}  # texts that are only a symbol
KEY_USE = re.compile(r"""(?:\bt|reply|title_key=)\(?\s*["']([a-z_]+\.[a-z_\.]+)["']""")


def used_keys() -> set[str]:
    keys: set[str] = set()
    for folder in ("handlers", "bot", "scheduler"):
        for path in (REPO / folder).rglob("*.py"):
            keys.update(KEY_USE.findall(path.read_text(encoding="utf-8")))
    return keys


def test_every_key_used_in_code_exists():
    missing = sorted(k for k in used_keys() if k not in catalog() and not k.endswith("."))
    assert missing == []
    assert len(used_keys()) > 15  # the scan itself works


def test_texts_render_and_are_thai():
    for key in catalog():
        values = {name: "x" for name in placeholders(key)}
        text = t(key, **values)
        assert text.strip()
        assert re.search(r"[\u0E00-\u0E7F]", text) or key in SYMBOLS, key


def test_roles_keys_exist_for_every_role():
    for role in ("staff", "supervisor", "admin"):
        assert t(f"whoami.role_{role}")
