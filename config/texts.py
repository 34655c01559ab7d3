"""The Thai message catalog: loads `messages.th.toml` once and renders texts by key."""

from __future__ import annotations

import string
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

CATALOG_PATH = Path(__file__).with_name("messages.th.toml")


class MissingText(KeyError):
    """A handler asked for a key the catalog does not have."""


@lru_cache(maxsize=1)
def catalog() -> dict[str, str]:
    """All texts, flattened to dotted keys such as "link.done"."""
    with CATALOG_PATH.open("rb") as fh:
        raw = tomllib.load(fh)
    flat: dict[str, str] = {}

    def walk(prefix: str, node: dict[str, Any]) -> None:
        for key, value in node.items():
            dotted = f"{prefix}.{key}" if prefix else key
            if isinstance(value, dict):
                walk(dotted, value)
            else:
                flat[dotted] = str(value)

    walk("", raw)
    return flat


def placeholders(key: str) -> set[str]:
    """The {names} a text expects."""
    return {field for _, field, _, _ in string.Formatter().parse(catalog()[key]) if field}


def t(key: str, **values: Any) -> str:
    """Render the text `key` with its placeholders; fails loudly on a missing key or value."""
    try:
        template = catalog()[key]
    except KeyError:
        raise MissingText(key) from None
    return template.format(**values) if values or "{" in template else template
