"""Who may use /sim: this machine, or a request carrying the operator's SIM_TOKEN.

The simulator lets anyone pick any roster member, admins included, so it must
never answer another machine by default. With SIM_TOKEN set, the token comes
as the X-Sim-Token header, or once as /sim?token=… which swaps it for an
HttpOnly, SameSite=Strict cookie and redirects to a URL without it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.request_origin import from_this_machine

TOKEN_HEADER = "X-Sim-Token"
TOKEN_QUERY = "token"
COOKIE = "sim_access"
COOKIE_PATH = "/sim"
PAGE_PATH = "/sim"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def cookie_value(token: str) -> str:
    """What the cookie holds: derived from the token, so the cookie is not the token itself."""
    return hmac.new(token.encode(), b"sim-access-cookie", hashlib.sha256).hexdigest()


def carries_token(request: web.Request, token: str) -> bool:
    """The request carries the token in the header or the cookie."""
    header = request.headers.get(TOKEN_HEADER)
    if header is not None and _same(header, token):
        return True
    cookie = request.cookies.get(COOKIE)
    return cookie is not None and _same(cookie, cookie_value(token))


def allowed(request: web.Request, token: str | None) -> bool:
    """Whether the simulator may answer this request."""
    return from_this_machine(request) or bool(token and carries_token(request, token))


def _sign_in(request: web.Request, token: str) -> None:
    if not _same(request.query[TOKEN_QUERY], token):
        raise web.HTTPForbidden()
    # Redirect so the token leaves the address bar and the browser history.
    response = web.HTTPSeeOther(PAGE_PATH)
    response.set_cookie(
        COOKIE,
        cookie_value(token),
        path=COOKIE_PATH,
        httponly=True,
        samesite="Strict",
        # Behind a TLS proxy the hop to us is plain HTTP; the browser's side is what counts.
        secure=request.secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https",
    )
    raise response


def guard(handler: Handler, token: str | None) -> Handler:
    """The handler, answering only requests the simulator may serve; others get a bare 403."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        if token and request.path == PAGE_PATH and TOKEN_QUERY in request.query:
            _sign_in(request, token)
        if not allowed(request, token):
            raise web.HTTPForbidden()
        return await handler(request)

    return guarded


def describe(sim_on: bool, token: str | None) -> str:
    """The start-up line saying whether /sim is on and to whom."""
    if not sim_on:
        return "simulator /sim: off"
    if token:
        return "simulator /sim: on, loopback and requests carrying SIM_TOKEN"
    return "simulator /sim: on, loopback only (set SIM_TOKEN to allow other machines)"
