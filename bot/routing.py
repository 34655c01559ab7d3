"""Handler registration: routers group a feature's handlers; the first matching route wins."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bot.events import Incoming

Handler = Callable[..., Awaitable[None]]


def normalise_command(text: str) -> str:
    """Fold a typed command: trim, lower-case, drop a leading slash and a Telegram @botname."""
    word = text.strip().lower()
    if word.startswith("/"):
        word = word[1:].split("@", 1)[0]
    return word


@dataclass(frozen=True, slots=True)
class Route:
    """One way an incoming event can reach a handler."""

    kind: str  # "command" | "text" | "action" | "file" | "follow" | "any"
    handler: Handler
    words: frozenset[str] = frozenset()
    pattern: re.Pattern[str] | None = None
    action: str | None = None
    state: str | None = None
    public: bool = False  # reachable by chat users who are not linked yet
    unlinked_only: bool = False  # only for chat users who are not linked yet
    roles: frozenset[str] = frozenset()  # any of: "admin", "supervisor"
    suffixes: tuple[str, ...] = ()  # file routes: only these file-name endings

    def match(self, event: Incoming, state: str | None) -> tuple[Any, ...] | None:
        """Arguments for the handler when this route takes the event, else None."""
        if self.state is not None and self.state != state:
            return None
        if self.kind == "command" and event.kind == "text" and event.text:
            return () if normalise_command(event.text) in self.words else None
        if self.kind == "text" and event.kind == "text" and event.text is not None:
            if self.pattern is None:
                return (event.text,)
            found = self.pattern.fullmatch(event.text.strip())
            return found.groups() if found else None
        if self.kind == "action" and event.kind == "action" and event.action:
            return event.action.args if event.action.name == self.action else None
        if self.kind == "file" and event.kind == "file" and event.file:
            name = (event.file.name or "").lower()
            if self.suffixes and not name.endswith(self.suffixes):
                return None
            return ()
        if self.kind == "follow" and event.kind == "follow":
            return ()
        if self.kind == "any" and event.kind == self.action:
            return ()
        return None


class Router:
    """A feature's handlers, registered with decorators (aiogram-style)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.routes: list[Route] = []

    def _add(self, **spec: Any) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(Route(handler=handler, **spec))
            return handler

        return register

    def command(
        self, *words: str, state: str | None = None, public: bool = False, roles: Iterable[str] = ()
    ) -> Callable[[Handler], Handler]:
        """A typed command; `words` are compared after `normalise_command`."""
        return self._add(
            kind="command",
            words=frozenset(normalise_command(w) for w in words),
            state=state,
            public=public,
            roles=frozenset(roles),
        )

    def text(
        self,
        pattern: str | None = None,
        *,
        state: str | None = None,
        public: bool = False,
        unlinked_only: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Free text, optionally matching a regular expression (its groups become arguments)."""
        compiled = re.compile(pattern, re.IGNORECASE) if pattern else None
        return self._add(
            kind="text",
            pattern=compiled,
            state=state,
            public=public or unlinked_only,
            unlinked_only=unlinked_only,
        )

    def action(
        self, name: str, *, public: bool = False, roles: Iterable[str] = ()
    ) -> Callable[[Handler], Handler]:
        """A button press; the action's arguments become handler arguments."""
        return self._add(kind="action", action=name, public=public, roles=frozenset(roles))

    def file(
        self, *, state: str | None = None, roles: Iterable[str] = (), suffixes: tuple[str, ...] = ()
    ) -> Callable[[Handler], Handler]:
        """A photo or document, optionally only with these file-name endings."""
        return self._add(kind="file", state=state, roles=frozenset(roles), suffixes=suffixes)

    def otherwise(self, event_kind: str, *, public: bool = False) -> Callable[[Handler], Handler]:
        """Catch-all for one event kind ("text", "action", "file"); put its router last."""
        return self._add(kind="any", action=event_kind, public=public)

    def follow(self) -> Callable[[Handler], Handler]:
        """The user added the bot (LINE follow, Telegram first /start)."""
        return self._add(kind="follow", public=True)


def find_route(
    routers: Iterable[Router], event: Incoming, state: str | None, linked: bool, roles: set[str]
) -> tuple[Route, tuple[Any, ...]] | None:
    """The first route, in router order, that takes this event from this sender."""
    for router in routers:
        for route in router.routes:
            if not linked and not route.public:
                continue
            if linked and route.unlinked_only:
                continue
            if route.roles and not (route.roles & roles):
                continue
            args = route.match(event, state)
            if args is not None:
                return route, args
    return None
