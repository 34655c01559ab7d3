"""Checks of Bot API calls and objects against api.json (PaulSonOfLars/telegram-bot-api-spec).

The file lists, per method and per type, fields as `{name, types, required, description}`
with types such as "Integer", "Array of Array of InlineKeyboardButton" or a union of several
type names. Length limits exist only in the prose ("1-4096 characters", "1-64 bytes"), so they
are read from the descriptions; a few rules the prose states less regularly are coded by hand.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .specs import telegram_spec

SCALARS = {"Integer", "String", "Boolean", "Float"}
_LIMIT_RE = re.compile(r"\b(\d+)-(\d+) (characters|bytes)")
# Subtypes of a union name their tag in prose: "Scope type, must be chat", "always “user”".
_TAG_RE = re.compile(r"(?:must be|always) [“\"]?([a-z_]+)")
_TAG_FIELDS = ("type", "source", "status")
# InlineKeyboardButton: besides text/style/icon, exactly one of these must be set.
BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
    "copy_text", "callback_game", "pay",
)  # fmt: skip
COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
SECRET_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
MAX_COMMANDS = 100
_TAG = re.compile(r"<[^>]+>")


@dataclass
class Upload:
    """A file part of a multipart request (an InputFile)."""

    filename: str
    content_type: str
    data: bytes

    def __repr__(self) -> str:  # keep test failure output short
        return f"Upload({self.filename!r}, {self.content_type!r}, {len(self.data)} bytes)"


@dataclass(frozen=True)
class _Field:
    name: str
    types: tuple[str, ...]
    required: bool
    limit: tuple[int, int, str] | None  # (min, max, "characters" | "bytes")
    after_entities: bool  # the limit counts the text after parse_mode markup is removed


def _fields(entry: dict[str, Any]) -> dict[str, _Field]:
    out = {}
    for f in entry.get("fields", []):
        match = _LIMIT_RE.search(f["description"])
        limit = (int(match[1]), int(match[2]), match[3]) if match else None
        after = "after entit" in f["description"]
        out[f["name"]] = _Field(f["name"], tuple(f["types"]), f["required"], limit, after)
    return out


def _visible(text: str, parse_mode: str | None) -> str:
    # "after entities parsing": HTML tags are dropped and entities decoded; Markdown is
    # counted raw, which can only over-count (never miss an over-long text).
    if (parse_mode or "").upper() == "HTML":
        return html.unescape(_TAG.sub("", text))
    return text


class TelegramSpec:
    """Methods and types of one api.json, with field tables prepared once."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.version: str = spec.get("version", "")
        self.methods: dict[str, Any] = spec["methods"]
        self.types: dict[str, Any] = spec["types"]
        # Bot API method names are case-insensitive on Telegram's side.
        self._method_names = {name.lower(): name for name in self.methods}
        self._fields = {name: _fields(entry) for name, entry in {**self.types, **self.methods}.items()}
        self._tags = {name: self._tag_of(name) for name in self.types}

    def method_name(self, name: str) -> str | None:
        """The canonical spelling of a method, or None if the Bot API has no such method."""
        return self._method_names.get(name.lower())

    def returns(self, method: str) -> list[str]:
        """The return type names of a method (e.g. ["Message", "Boolean"])."""
        return list(self.methods[method].get("returns", []))

    def _tag_of(self, type_name: str) -> tuple[str, str] | None:
        for f in self.types[type_name].get("fields", []):
            if f["name"] in _TAG_FIELDS and f["required"]:
                match = _TAG_RE.search(f["description"])
                if match:
                    return f["name"], match[1]
        return None

    # --- decoding --------------------------------------------------------------------------

    def decode(self, method: str, raw: dict[str, Any]) -> dict[str, Any]:
        """Typed values from form/query strings (PTB JSON-encodes every non-string value)."""
        fields = self._fields[method]
        return {key: self._decode(fields[key].types, value) if key in fields else value for key, value in raw.items()}

    @staticmethod
    def _decode(types: tuple[str, ...], value: Any) -> Any:
        if not isinstance(value, str):
            return value  # a JSON body value or an Upload
        if "Integer" in types and re.fullmatch(r"-?\d+", value):
            return int(value)
        if "Float" in types:
            try:
                return float(value)
            except ValueError:
                pass
        if "Boolean" in types and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if any(t not in SCALARS and t != "InputFile" for t in types):
            try:
                decoded = json.loads(value)
            except ValueError:
                return value
            if isinstance(decoded, (dict, list)):
                return decoded
        return value

    # --- checking --------------------------------------------------------------------------

    def check_call(self, method: str, params: dict[str, Any]) -> list[str]:
        """Problems of decoded parameters: required, unknown, types, limits, method rules."""
        fields = self._fields[method]
        problems = []
        for name, f in fields.items():
            if f.required and name not in params:
                problems.append(f"{name}: required parameter is missing")
        for name, value in params.items():
            f = fields.get(name)
            if f is None:
                if isinstance(value, Upload) and _attached(name, params):
                    continue  # a file part referenced as attach://name
                problems.append(f"{name}: unknown parameter")
                continue
            problems += self.check_value(f.types, value, name)
            problems += self._limit(f, value, name, params.get("parse_mode"))
        return problems + self._method_rules(method, params)

    def check_object(self, type_name: str, value: Any, path: str = "") -> list[str]:
        """Problems of a JSON object against a Bot API type (recursively)."""
        entry = self.types[type_name]
        if "subtypes" in entry:
            return self._check_union(entry["subtypes"], value, path or type_name)
        if not isinstance(value, dict):
            return [f"{path or type_name}: must be a {type_name} object"]
        fields = self._fields[type_name]
        problems = []
        for name, f in fields.items():
            if f.required and name not in value:
                problems.append(f"{_join(path, name)}: required field is missing")
        for name, item in value.items():
            f = fields.get(name)
            if f is None:
                problems.append(f"{_join(path, name)}: unknown field of {type_name}")
                continue
            problems += self.check_value(f.types, item, _join(path, name))
            problems += self._limit(f, item, _join(path, name), value.get("parse_mode"))
        return problems + self._type_rules(type_name, value, path)

    def check_value(self, types: tuple[str, ...] | list[str], value: Any, path: str) -> list[str]:
        """Problems of a value that may be any of `types`; empty if one of them fits."""
        best: list[str] | None = None
        for t in types:
            found = self._check_one(t, value, path)
            if not found:
                return []
            if best is None or len(found) < len(best):
                best = found
        return best or []

    def _check_one(self, t: str, value: Any, path: str) -> list[str]:
        if t.startswith("Array of "):
            if not isinstance(value, list):
                return [f"{path}: must be an array ({t})"]
            inner = t[len("Array of ") :]
            return [p for index, item in enumerate(value) for p in self.check_value((inner,), item, f"{path}[{index}]")]
        ok = {
            "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "Float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
            "Boolean": lambda v: isinstance(v, bool),
            "String": lambda v: isinstance(v, str),
            "InputFile": lambda v: isinstance(v, Upload),
        }.get(t)
        if ok is not None:
            return [] if ok(value) else [f"{path}: must be {t}"]
        if t not in self.types:
            return [f"{path}: unknown type {t} in spec"]
        return self.check_object(t, value, path)

    def _check_union(self, subtypes: list[str], value: Any, path: str) -> list[str]:
        if isinstance(value, dict):
            for sub in subtypes:
                tag = self._tags.get(sub)
                if tag and value.get(tag[0]) == tag[1]:
                    return self.check_object(sub, value, path)  # the tag decides
        return self.check_value(tuple(subtypes), value, path)

    @staticmethod
    def _limit(f: _Field, value: Any, path: str, parse_mode: Any) -> list[str]:
        if f.limit is None or not isinstance(value, str):
            return []
        low, high, unit = f.limit
        text = _visible(value, parse_mode) if f.after_entities else value
        size = len(text.encode("utf-8")) if unit == "bytes" else len(text)
        if not low <= size <= high:
            return [f"{path}: must be {low}-{high} {unit}, got {size}"]
        return []

    def _type_rules(self, type_name: str, value: dict[str, Any], path: str) -> list[str]:
        if type_name == "InlineKeyboardButton":
            chosen = [k for k in BUTTON_ACTIONS if k in value]
            if len(chosen) != 1:
                return [f"{path or type_name}: exactly one of the action fields must be set, got {chosen or 'none'}"]
        if (
            type_name == "BotCommand"
            and isinstance(value.get("command"), str)
            and not COMMAND_RE.match(value["command"])
        ):
            return [f"{_join(path, 'command')}: must be 1-32 characters of a-z, 0-9 and _"]
        return []

    @staticmethod
    def _method_rules(method: str, params: dict[str, Any]) -> list[str]:
        problems = []
        if (
            method == "setMyCommands"
            and isinstance(params.get("commands"), list)
            and len(params["commands"]) > MAX_COMMANDS
        ):
            problems.append(f"commands: at most {MAX_COMMANDS} commands, got {len(params['commands'])}")
        if method == "setWebhook":
            url = params.get("url")
            if isinstance(url, str) and url and not url.startswith("https://"):
                problems.append("url: an HTTPS URL must be provided for webhook")
            secret = params.get("secret_token")
            if isinstance(secret, str) and not SECRET_TOKEN_RE.match(secret):
                problems.append("secret_token: only A-Z, a-z, 0-9, _ and - are allowed")
        editing = method.startswith("editMessage") or method in ("stopMessageLiveLocation", "stopPoll")
        if editing and "inline_message_id" not in params and not ("chat_id" in params and "message_id" in params):
            problems.append("chat_id and message_id are required when inline_message_id is not given")
        if method == "editMessageText" and "text" not in params and "rich_message" not in params:
            problems.append("text: required parameter is missing")
        return problems


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _attached(name: str, params: dict[str, Any]) -> bool:
    needle = f"attach://{name}"
    return any(isinstance(v, (str, dict, list)) and needle in json.dumps(v) for v in params.values())


@lru_cache(maxsize=1)
def bot_api() -> TelegramSpec:
    """The Bot API spec with field tables built (once per process)."""
    return TelegramSpec(telegram_spec())
