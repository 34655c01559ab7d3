"""The channel-neutral vocabulary: one incoming event type and one reply type.

Handlers see only these; adapters in `bot/channels/` translate them to and from
LINE, Telegram and the web simulator.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

ChannelName = Literal["line", "telegram", "sim"]
EventKind = Literal["text", "action", "file", "follow", "unfollow", "other"]
FileKind = Literal["image", "file"]

# Telegram callback_data allows 64 bytes; LINE postback data 300 characters.
ACTION_MAX_BYTES = 64
_SEP = "|"


class ActionTooLong(ValueError):
    """An action does not fit into Telegram's 64-byte callback_data."""


@dataclass(frozen=True, slots=True)
class Action:
    """A button press: a handler name plus short ASCII arguments (ids, never Thai text)."""

    name: str
    args: tuple[str, ...] = ()

    def encode(self) -> str:
        """Serialise for callback_data / postback data, enforcing the 64-byte limit."""
        raw = _SEP.join((self.name, *self.args))
        if len(raw.encode("utf-8")) > ACTION_MAX_BYTES:
            raise ActionTooLong(raw[:20])
        return raw

    @classmethod
    def decode(cls, data: str) -> Action:
        """Parse what `encode` produced; unknown shapes become an action with that name."""
        name, *args = data.split(_SEP)
        return cls(name, tuple(args))


@dataclass(frozen=True, slots=True)
class Button:
    """A tappable choice: a Thai label and the action it triggers."""

    label: str
    action: Action


@dataclass(frozen=True, slots=True)
class FileRef:
    """A file the user sent; the adapter downloads its bytes on demand."""

    file_id: str
    kind: FileKind
    name: str | None = None
    mime: str | None = None
    size: int | None = None


@dataclass(frozen=True, slots=True)
class Incoming:
    """One thing a user did, on any channel."""

    event_id: str  # "line:<webhookEventId>", "telegram:<update_id>", "sim:<uuid>": idempotency key
    channel: ChannelName
    user: str  # platform user id; opaque to handlers
    chat: str  # where replies go
    kind: EventKind
    text: str | None = None
    action: Action | None = None
    file: FileRef | None = None
    reply_token: str | None = None  # LINE only
    received_at: float = 0.0  # epoch seconds when the webhook arrived


@dataclass(frozen=True, slots=True)
class Reply:
    """One outgoing message in neutral form.

    `buttons` become a LINE Flex bubble with postback buttons or a Telegram
    inline keyboard; `quick` become LINE quick replies or extra keyboard rows.
    """

    text: str
    buttons: tuple[Button, ...] = ()
    quick: tuple[Button, ...] = ()
    title: str | None = None  # shown as a card header where the channel has cards
    file_path: str | None = None  # a stored file to send with the message
    file_name: str | None = None
    image: str | None = None  # sha256 of a stored image to show with the text
    # sha256 of a stored document (a notice's PDF or picture) sent with the text, named `file_name`:
    # Telegram uploads it once and sends its file_id after, LINE links to it (signed, expiring)
    document: str | None = None
    progress: float | None = None  # 0–1: drawn as a bar where the channel can (LINE Flex)
    edit_of: int | None = None  # outbox id of an earlier message to replace where the channel can
    edit_index: int = 0  # which of that outbox row's messages
    edit_target: str | None = None  # filled in at delivery: the platform's id of that message

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form for the outbox."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reply:
        """Rebuild a reply stored in the outbox."""

        def buttons(key: str) -> tuple[Button, ...]:
            return tuple(
                Button(b["label"], Action(b["action"]["name"], tuple(b["action"]["args"])))
                for b in data.get(key) or ()
            )

        return cls(
            text=data["text"],
            buttons=buttons("buttons"),
            quick=buttons("quick"),
            title=data.get("title"),
            file_path=data.get("file_path"),
            file_name=data.get("file_name"),
            image=data.get("image"),
            document=data.get("document"),
            progress=data.get("progress"),
            edit_of=data.get("edit_of"),
            edit_index=data.get("edit_index") or 0,
        )


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a channel can do with a reply; adapters declare it, handlers ask it."""

    edit: bool  # replace a message it sent earlier (e.g. a prompt's buttons once decided)
    files: Literal["send", "local", "none"]  # send a file; "local": saved on this machine (the simulator)
    max_buttons: int  # buttons on one message
    max_text: int  # characters of one message
    messages_per_request: int  # messages one platform request can carry to one chat
