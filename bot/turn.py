"""The per-event context handed to handlers: who is talking, their state, and buffered replies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.events import Button, Capabilities, Incoming, Reply
from bot.sending import Chat, Sending, Written
from config.texts import t

if TYPE_CHECKING:
    from config.settings import Settings
    from storage.files import FileStore, StoredFile
    from storage.models import Staff


@dataclass(slots=True)
class ConversationStep:
    """The sender's conversation state; changes are saved with the turn's outcome."""

    name: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    changed: bool = False

    def set(self, name: str, **data: Any) -> None:
        """Enter a multi-step state with a small data dict."""
        self.name, self.data, self.changed = name, data, True

    def clear(self) -> None:
        """Leave any multi-step state."""
        if self.name is not None or self.data:
            self.name, self.data, self.changed = None, {}, True


@dataclass(slots=True)
class Turn:
    """One handled event. Handlers read from it and buffer what should be sent."""

    incoming: Incoming
    person: Staff | None
    state: ConversationStep
    settings: Settings
    out: Sending  # everything this turn sends, written with its outcome
    file: StoredFile | None = None  # bytes of `incoming.file`, already in the file store
    file_error: str | None = None  # why the download failed, if it did
    signals: set[str] = field(default_factory=set)  # background loops to wake after the commit
    files: FileStore | None = None  # the file store, for features that send stored files (a person's copy)

    @property
    def chat(self) -> Chat:
        """The sender's chat."""
        return Chat(self.incoming.channel, self.incoming.chat)

    @property
    def can(self) -> Capabilities:
        """What the sender's channel can do (edit, files, limits)."""
        return self.out.can(self.incoming.channel)

    @property
    def roles(self) -> set[str]:
        """The sender's roles from the roster."""
        return roles_of(self.person)

    def reply(
        self,
        key: str,
        *,
        buttons: tuple[Button, ...] | list[Button] = (),
        quick: tuple[Button, ...] | list[Button] = (),
        title_key: str | None = None,
        **values: Any,
    ) -> None:
        """Answer the sender with the catalog text `key`."""
        self.out.send_to(
            self.chat,
            Reply(
                text=t(key, **values),
                buttons=tuple(buttons),
                quick=tuple(quick),
                title=t(title_key) if title_key else None,
            ),
        )

    def reply_raw(self, reply: Reply) -> None:
        """Answer with a reply already rendered (e.g. a card built by a feature)."""
        self.out.send_to(self.chat, reply)

    def signal(self, name: str) -> None:
        """Wake a background loop (e.g. "ocr") once this turn is committed."""
        self.signals.add(name)

    def send_to(self, recipient: Staff | int | Chat, reply: Reply, *, written: Written | None = None) -> None:
        """Send to another staff member (every chat they linked) or another chat, with this turn."""
        self.out.send_to(recipient, reply, written=written)


def roles_of(person: Staff | None) -> set[str]:
    """Role names of a staff member ("staff", "supervisor", "admin")."""
    if person is None:
        return set()
    roles = {"staff"}
    if person.is_supervisor:
        roles.add("supervisor")
    if person.is_admin:
        roles.add("admin")
    return roles
