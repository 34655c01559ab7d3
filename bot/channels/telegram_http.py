"""PTB's HTTP transport on aiohttp, with few requests in flight.

PTB's default transport (httpx over httpcore and anyio) spends about a millisecond and a half
of CPU per Bot API call, and its connection pool looks at every waiting request each time a
connection frees up: after a wave of button presses, answering them cost more than handling
them. aiohttp, which the service already runs on, does the same calls for a fraction of that.
Requests beyond `limit` wait on a semaphore, so a burst keeps a few warm connections instead
of opening hundreds.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

IN_FLIGHT = 16  # concurrent Bot API requests per client; the rest wait their turn here


class AiohttpRequest(BaseRequest):
    """A `telegram.request.BaseRequest` on one aiohttp session."""

    def __init__(
        self,
        *,
        connect_timeout: float,
        read_timeout: float,
        write_timeout: float,
        ssl_context: ssl.SSLContext | None = None,
        limit: int = IN_FLIGHT,
    ) -> None:
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._ssl = ssl_context
        self._limit = limit
        self._slots = asyncio.Semaphore(limit)
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        """The default read timeout (PTB adds it to long-polling waits)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (also done on the first request)."""
        self._open()

    async def shutdown(self) -> None:
        """Close the session."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._limit, ssl=self._ssl if self._ssl is not None else True)
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT})
        return self._session

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one Bot API request; failures become PTB's NetworkError or TimedOut."""
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect, sock_read=read)
        async with self._slots:  # time spent waiting here is not held against the timeouts
            try:
                async with self._open().request(
                    method, url, data=_body(request_data), timeout=timeout
                ) as response:
                    return response.status, await response.read()
            except TimeoutError as exc:
                raise TimedOut from exc
            except aiohttp.ClientError as exc:
                raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """Form fields, as multipart when files go with them (as PTB's own transport sends them)."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    files = request_data.multipart_data
    if not files:
        return fields or None
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, part in files.items():
        filename, content = part[0], part[1]  # (file name, bytes or file handle, MIME type)
        form.add_field(name, content, filename=filename, content_type=part[2] if len(part) > 2 else None)
    return form
