"""The web server's access log, without the secrets some URLs carry.

A signed file link (/files/<sha>/<expires>/<sig>) opens a certificate image for
anyone holding it, a copy link (/copy/<token>) a person's whole record, and
/sim?token=… carries the simulator's token; none may sit in a log file. The query of simulator calls names the chat, so it goes too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from aiohttp import web_log
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

_REDACTIONS = (
    (re.compile(r"/files/[^\s\"?]+"), "/files/…"),
    (re.compile(r"/copy/[^\s\"?]+"), "/copy/…"),
    (re.compile(r"(/sim(?:/[^\s\"?]*)?)\?[^\s\"]*"), r"\1?…"),
)


def redact(text: str) -> str:
    """The text with signed file paths and simulator queries replaced by an ellipsis."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class RedactingAccessLogger(web_log.AccessLogger):
    """aiohttp's access logger, with every field (request line, Referer…) passed through `redact`."""

    def _format_line(
        self, request: BaseRequest, response: StreamResponse, time: float
    ) -> Iterable[tuple[str | tuple[str, str], str]]:
        return [
            (key, redact(value) if isinstance(value, str) else value)
            for key, value in super()._format_line(request, response, time)
        ]
