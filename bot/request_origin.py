"""Whether a request comes straight from this machine: what /sim and /metrics answer without a token.

A loopback peer is not enough on its own: behind a reverse proxy on the same
host every request arrives from 127.0.0.1, so any proxy header counts as
"from elsewhere". The Host must name this machine too, so that a web page
whose domain was re-pointed at 127.0.0.1 (DNS rebinding) is not answered.
"""

from __future__ import annotations

import ipaddress

from aiohttp import web

PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Real-IP")
LOCAL_NAMES = ("localhost",)


def _is_loopback(address: str | None) -> bool:
    if not address:
        return False  # a Unix socket: only a proxy would sit in front of one
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _host_is_local(request: web.BaseRequest) -> bool:
    try:
        name = (request.url.host or "").rstrip(".").lower()
    except ValueError:
        return False
    if name in LOCAL_NAMES or name.endswith(".localhost"):
        return True
    return _is_loopback(name)


def has_proxy_headers(request: web.BaseRequest) -> bool:
    """Whether a proxy passed the request on (its real sender is somewhere else)."""
    return any(header in request.headers for header in PROXY_HEADERS)


def from_this_machine(request: web.BaseRequest) -> bool:
    """A loopback peer, no proxy headers, and a Host naming this machine."""
    return _is_loopback(request.remote) and not has_proxy_headers(request) and _host_is_local(request)
