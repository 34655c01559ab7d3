"""The parts of a Telegram Update this bot reads, with the Bot API's types enforced strictly.

PTB's `Update.de_json` trusts its input (a string where an id belongs goes through
and fails much later), so the webhook checks these fields first. Unknown fields
are allowed: Telegram adds new ones to the Bot API over time.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

Int64 = Annotated[int, Field(ge=-(2**63), lt=2**63)]


class _Shape(BaseModel):
    # strict: no str->int, float->int or int->bool coercion, as the Bot API types say
    model_config = ConfigDict(strict=True, extra="allow")


class User(_Shape):
    id: Int64
    is_bot: bool
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


class Chat(_Shape):
    id: Int64
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class MessageEntity(_Shape):
    type: str
    offset: Int64
    length: Int64


class PhotoSize(_Shape):
    file_id: str
    file_unique_id: str
    width: Int64
    height: Int64
    file_size: Int64 | None = None


class Document(_Shape):
    file_id: str
    file_unique_id: str
    file_name: str | None = None
    mime_type: str | None = None
    file_size: Int64 | None = None


class Message(_Shape):
    message_id: Int64
    date: Int64
    chat: Chat
    sender: User | None = Field(default=None, alias="from")
    text: str | None = None
    caption: str | None = None
    entities: list[MessageEntity] | None = None
    caption_entities: list[MessageEntity] | None = None
    photo: list[PhotoSize] | None = None
    document: Document | None = None


class CallbackQuery(_Shape):
    id: str
    sender: User = Field(alias="from")
    chat_instance: str
    message: Message | None = None
    data: str | None = None


class Update(_Shape):
    update_id: Annotated[int, Field(gt=0, lt=2**63)]
    message: Message | None = None
    edited_message: Message | None = None
    callback_query: CallbackQuery | None = None


def shape_problem(raw: Any) -> str | None:
    """A short label of the first mismatch (field path and error type, no values), or None."""
    try:
        Update.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_context=False, include_input=False)[0]
        return "shape:" + ".".join(str(part) for part in first["loc"])[:60] + ":" + first["type"]
    return None
