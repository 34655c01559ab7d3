"""Handler registration: routers group a feature's handlers, and routes say who may use them.

Which route takes an event is decided by rule, not only by router order:

1. global commands (menu, help, cancel, ...) work anywhere, even in the middle of a
   multi-step exchange, and end it;
2. then routes bound to the sender's pending-input state;
3. then every other route, in router order (the first match wins).

Matching ignores roles: the matched route's roles are checked afterwards, so a staff
member who types an admin command is told it is not theirs, instead of "unknown".
A route may also declare a menu entry; channels build their menus from those.
"""

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
class MenuEntry:
    """A route's place in the menus channels show (LINE rich menu, Telegram command list).

    `label_key` is the catalog key of its Thai label; `order` sorts a menu's entries.
    `tap` is what a tap sends, as if typed (default: a command route's first Thai word),
    and `command` the slash command word (default: its first word Telegram accepts).
    `roles` narrows who is shown the entry below who may use the route (e.g. the
    pending list works for any delegate but is offered to supervisors). `tile=False`
    keeps the entry out of picture menus, which have room for a few tiles only.
    """

    label_key: str
    order: int
    tap: str | None = None
    command: str | None = None
    roles: frozenset[str] = frozenset()
    tile: bool = True


@dataclass(frozen=True, slots=True)
class Route:
    """One way an incoming event can reach a handler."""

    kind: str  # "command" | "text" | "action" | "file" | "follow" | "unfollow" | "any"
    handler: Handler
    words: tuple[str, ...] = ()  # command words, normalised, in the order they were declared
    pattern: re.Pattern[str] | None = None
    action: str | None = None
    state: str | None = None
    public: bool = False  # reachable by chat users who are not linked yet
    unlinked_only: bool = False  # only for chat users who are not linked yet
    roles: frozenset[str] = frozenset()  # any of these may use it ("staff", "supervisor", "admin"); empty: all
    suffixes: tuple[str, ...] = ()  # file routes: only these file-name endings
    global_: bool = False  # works in any state, and ends a pending input
    menu: MenuEntry | None = None
    router: str = ""

    @property
    def name(self) -> str:
        """`router.handler`, for logs."""
        return f"{self.router}.{getattr(self.handler, '__name__', '?')}"

    def allows(self, roles: set[str]) -> bool:
        """Whether a sender with these roles may use the route."""
        return not self.roles or bool(self.roles & roles)

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
        if self.kind in ("follow", "unfollow") and event.kind == self.kind:
            return ()
        if self.kind == "any" and event.kind == self.action:
            return ()
        return None


def _menu(
    label_key: str | None, order: int, tap: str | None, command: str | None, roles: Iterable[str], tile: bool
) -> MenuEntry | None:
    if label_key is None:
        return None
    return MenuEntry(label_key, order, tap, command, frozenset(roles), tile)


class Router:
    """A feature's handlers, registered with decorators (aiogram-style).

    `roles` on the router applies to each of its routes that names none itself.
    """

    def __init__(self, name: str, *, roles: Iterable[str] = ()) -> None:
        self.name = name
        self.roles = frozenset(roles)
        self.routes: list[Route] = []

    def _add(self, roles: Iterable[str] = (), **spec: Any) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            own = frozenset(roles)
            self.routes.append(Route(handler=handler, roles=own or self.roles, router=self.name, **spec))
            return handler

        return register

    def command(
        self,
        *words: str,
        state: str | None = None,
        public: bool = False,
        roles: Iterable[str] = (),
        global_: bool = False,
        menu: str | None = None,
        menu_order: int = 0,
        menu_roles: Iterable[str] = (),
        tile: bool = True,
    ) -> Callable[[Handler], Handler]:
        """A typed command; `words` are compared after `normalise_command`.

        `global_` commands win over any pending input and end it. `menu` (a label key)
        puts the command in the menus, at `menu_order`, for `menu_roles` if given.
        """
        return self._add(
            kind="command",
            words=tuple(normalise_command(w) for w in words),
            state=state,
            public=public,
            roles=roles,
            global_=global_,
            menu=_menu(menu, menu_order, None, None, menu_roles, tile),
        )

    def text(
        self,
        pattern: str | None = None,
        *,
        state: str | None = None,
        public: bool = False,
        unlinked_only: bool = False,
        roles: Iterable[str] = (),
        menu: str | None = None,
        menu_order: int = 0,
        menu_tap: str | None = None,
        menu_command: str | None = None,
        tile: bool = True,
    ) -> Callable[[Handler], Handler]:
        """Free text, optionally matching a regular expression (its groups become arguments).

        A menu entry on a text route names what a tap sends and its slash command, if any.
        """
        compiled = re.compile(pattern, re.IGNORECASE) if pattern else None
        if menu is not None and menu_tap is None:
            raise ValueError("a text route's menu entry needs menu_tap: what a tap sends")
        return self._add(
            kind="text",
            pattern=compiled,
            state=state,
            public=public or unlinked_only,
            unlinked_only=unlinked_only,
            roles=roles,
            menu=_menu(menu, menu_order, menu_tap, menu_command, (), tile),
        )

    def action(
        self, name: str, *, public: bool = False, roles: Iterable[str] = ()
    ) -> Callable[[Handler], Handler]:
        """A button press; the action's arguments become handler arguments."""
        return self._add(kind="action", action=name, public=public, roles=roles)

    def file(
        self, *, state: str | None = None, roles: Iterable[str] = (), suffixes: tuple[str, ...] = ()
    ) -> Callable[[Handler], Handler]:
        """A photo or document, optionally only with these file-name endings."""
        return self._add(kind="file", state=state, roles=roles, suffixes=suffixes)

    def otherwise(self, event_kind: str, *, public: bool = False) -> Callable[[Handler], Handler]:
        """Catch-all for one event kind ("text", "action", "file"); put its router last."""
        return self._add(kind="any", action=event_kind, public=public)

    def follow(self) -> Callable[[Handler], Handler]:
        """The user added the bot (LINE follow, Telegram first /start)."""
        return self._add(kind="follow", public=True)

    def unfollow(self) -> Callable[[Handler], Handler]:
        """The user blocked the bot (LINE unfollow); nothing can be sent back."""
        return self._add(kind="unfollow", public=True)


def _reachable(route: Route, linked: bool) -> bool:
    # Being linked is not a role: an unlinked sender is answered with how to link, not "not allowed".
    if not linked:
        return route.public
    return not route.unlinked_only


def find_route(
    routers: Iterable[Router], event: Incoming, state: str | None, linked: bool
) -> tuple[Route, tuple[Any, ...]] | None:
    """The route that takes this event from this sender: global, then its state's, then router order.

    Roles are not looked at here; check `Route.allows` on the result.
    """
    routes = [route for router in routers for route in router.routes if _reachable(route, linked)]
    tiers = (
        (r for r in routes if r.global_),
        (r for r in routes if state is not None and r.state == state),
        (r for r in routes if not r.global_),
    )
    for tier in tiers:
        for route in tier:
            args = route.match(event, state)
            if args is not None:
                return route, args
    return None


def pending_input_states(routers: Iterable[Router]) -> set[str]:
    """Every conversation state some route is bound to."""
    return {route.state for router in routers for route in router.routes if route.state is not None}
