"""OpenAPI 3 schema checking with discriminators resolved by hand, plus LINE's text counting.

LINE's specs put each `discriminator` on the parent type (`Message`, `Action`, `FlexComponent`,
`Event`, ...) while every concrete subtype refers back to its parent through `allOf`. A generic
JSON Schema validator walking the parent sees only `type`, so it accepts a flex message without
`altText` or a text message without `text`. This checker reads the discriminator value, looks
the concrete subtype up in the mapping and checks that one, recursively.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# (property path in LINE's notation, e.g. "messages[0].contents.body.contents[1].action.label", text)
Problem = tuple[str, str]

_ZWJ = "\u200d"
# Thai and Lao SARA AM are letters in Unicode's general categories but join the previous
# cluster (Grapheme_Cluster_Break=SpacingMark).
_SPACING_LETTERS = {"\u0e33", "\u0eb3"}


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit LINE counts most texts in."""
    return len(text.encode("utf-16-le")) // 2


def grapheme_len(text: str) -> int:
    """Approximate count of grapheme clusters (UAX #29), the unit of LINE labels.

    Marks, ZWJ sequences, emoji modifiers and regional-indicator pairs join the previous
    cluster; that covers Thai tone marks and vowels above/below, which is what matters here.
    It never counts more clusters than there are code points, so it errs on the lenient side.
    """
    count = 0
    prev = ""
    ri_run = 0
    for ch in text:
        cp = ord(ch)
        is_ri = 0x1F1E6 <= cp <= 0x1F1FF
        joins = bool(prev) and (
            unicodedata.category(ch)[0] == "M"
            or ch == _ZWJ
            or prev == _ZWJ
            or ch in _SPACING_LETTERS
            or 0x1F3FB <= cp <= 0x1F3FF
            or (prev == "\r" and ch == "\n")
            or (is_ri and ri_run % 2 == 1)
        )
        ri_run = ri_run + 1 if is_ri else 0
        if not joins:
            count += 1
        prev = ch
    return count


def join_path(path: str, key: str) -> str:
    """`messages[0]` + `text` -> `messages[0].text` (LINE's error-detail notation)."""
    return f"{path}.{key}" if path else key


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


_TYPE_CHECKS = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


class OpenAPIChecker:
    """Checks JSON values against `components.schemas` of one OpenAPI document."""

    def __init__(self, document: dict[str, Any], *, reject_unknown: bool = True) -> None:
        self.schemas: dict[str, Any] = document["components"]["schemas"]
        # The LINE SDK is generated from the same spec, so a property the spec does not know
        # is a typo or a hand-built dict gone wrong rather than a newer SDK feature.
        self.reject_unknown = reject_unknown
        self._flat: dict[str, dict[str, Any]] = {}

    def check(self, schema_name: str, value: Any, path: str = "") -> list[Problem]:
        """All problems of `value` against the named schema (empty when it conforms)."""
        problems: list[Problem] = []
        self._check({"$ref": f"#/components/schemas/{schema_name}"}, value, path, problems)
        return problems

    # --- internals ------------------------------------------------------------------------

    def _flatten(self, name: str) -> dict[str, Any]:
        """The schema with its allOf parts merged in; cached because flex trees hit it a lot."""
        flat = self._flat.get(name)
        if flat is None:
            flat = self._merge(self.schemas[name])
            self._flat[name] = flat
        return flat

    def _merge(self, schema: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in schema:
            return self._flatten(_ref_name(schema["$ref"]))
        if "allOf" not in schema:
            return schema
        merged: dict[str, Any] = {"properties": {}, "required": []}
        for part in [*schema["allOf"], {k: v for k, v in schema.items() if k != "allOf"}]:
            resolved = self._merge(part)
            for key, val in resolved.items():
                if key == "properties":
                    merged["properties"].update(val)
                elif key == "required":
                    merged["required"] += [r for r in val if r not in merged["required"]]
                elif key != "discriminator":  # the parent's dispatch must not apply again
                    merged[key] = val
        return merged

    def _check(self, schema: dict[str, Any], value: Any, path: str, out: list[Problem]) -> None:
        if "$ref" in schema:
            name = _ref_name(schema["$ref"])
            disc = self.schemas[name].get("discriminator")
            if disc and isinstance(value, dict):
                prop = disc["propertyName"]
                tag = value.get(prop)
                if tag is None:
                    out.append((join_path(path, prop), "must be specified"))
                    return
                target = disc.get("mapping", {}).get(tag) if isinstance(tag, str) else None
                if target is None:
                    out.append((join_path(path, prop), f"must be one of {sorted(disc['mapping'])}"))
                    return
                name = _ref_name(target)
            schema = self._flatten(name)
        elif "allOf" in schema:
            schema = self._merge(schema)

        for key in ("oneOf", "anyOf"):
            if key in schema:
                options = [self._problems_of(option, value, path) for option in schema[key]]
                if all(options):
                    out.extend(min(options, key=len))
                return

        if value is None:
            if not schema.get("nullable"):
                out.append((path, "must not be null"))
            return
        kind = schema.get("type") or ("object" if "properties" in schema else None)
        if kind in _TYPE_CHECKS and not _TYPE_CHECKS[kind](value):
            out.append((path, f"must be of type {kind}"))
            return
        if "enum" in schema and value not in schema["enum"]:
            out.append((path, f"must be one of {schema['enum']}"))
            return
        if isinstance(value, str):
            self._check_string(schema, value, path, out)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            if "minimum" in schema and value < schema["minimum"]:
                out.append((path, f"must be >= {schema['minimum']}"))
            if "maximum" in schema and value > schema["maximum"]:
                out.append((path, f"must be <= {schema['maximum']}"))
        elif isinstance(value, list):
            if "minItems" in schema and len(value) < schema["minItems"]:
                out.append((path, f"must have at least {schema['minItems']} item(s), got {len(value)}"))
            if "maxItems" in schema and len(value) > schema["maxItems"]:
                out.append((path, f"must have at most {schema['maxItems']} item(s), got {len(value)}"))
            if "items" in schema:
                for index, item in enumerate(value):
                    self._check(schema["items"], item, f"{path}[{index}]", out)
        elif isinstance(value, dict):
            self._check_object(schema, value, path, out)

    def _problems_of(self, schema: dict[str, Any], value: Any, path: str) -> list[Problem]:
        found: list[Problem] = []
        self._check(schema, value, path, found)
        return found

    @staticmethod
    def _check_string(schema: dict[str, Any], value: str, path: str, out: list[Problem]) -> None:
        if "minLength" in schema or "maxLength" in schema:
            size = utf16_len(value)
            if size < schema.get("minLength", 0):
                out.append((path, f"must be at least {schema['minLength']} characters"))
            if "maxLength" in schema and size > schema["maxLength"]:
                out.append((path, f"must be at most {schema['maxLength']} characters, got {size}"))
        if "pattern" in schema and not re.search(schema["pattern"], value):
            out.append((path, f"must match {schema['pattern']}"))

    def _check_object(self, schema: dict[str, Any], value: dict[str, Any], path: str, out: list[Problem]) -> None:
        props: dict[str, Any] = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                out.append((join_path(path, name), "must be specified"))
        extra = schema.get("additionalProperties")
        for name, item in value.items():
            if name in props:
                self._check(props[name], item, join_path(path, name), out)
            elif isinstance(extra, dict):
                self._check(extra, item, join_path(path, name), out)
            elif self.reject_unknown and (props or extra is False):
                out.append((join_path(path, name), "unknown property"))
