"""The outbound proxy the environment names (HTTPS_PROXY, HTTP_PROXY, NO_PROXY), read once at start."""

from __future__ import annotations

from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass


def env_proxy(url: str) -> str | None:
    """The proxy URL for requests to `url`, or None when there is none or NO_PROXY covers its host."""
    parts = urlsplit(url)
    proxy = getproxies().get(parts.scheme)
    if not proxy or proxy_bypass(parts.hostname or ""):
        return None
    return proxy
