"""GET/POST /copy/{token}: the one-time download of a person's copy of their data (LINE's way).

Opening the link (GET) shows a page with a download button and uses nothing up: chat apps
fetch links to draw previews, and a preview must not spend the only download. The button
(POST) redeems the token and answers with the zip, built at that moment; a second press,
or an expired link, gets a page saying so.
"""

from __future__ import annotations

import html
import logging

from aiohttp import web

from config.texts import t
from storage import data_copies
from storage.files import FileStore
from storage.personal_data import export_person

logger = logging.getLogger(__name__)

PAGE_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}
PAGE = """<!doctype html>
<html lang="th"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body style="font-family: sans-serif; max-width: 30em; margin: 2em auto; padding: 0 1em">
<h1 style="font-size: 1.3em">{title}</h1><p>{text}</p>{form}</body></html>"""
FORM = '<form method="post"><button type="submit" style="font-size: 1.2em; padding: .5em 1.5em">{label}</button></form>'


def _page(text_key: str, *, form: bool, status: int = 200) -> web.Response:
    body = PAGE.format(
        title=html.escape(t("my_data.page_title")),
        text=html.escape(t(text_key)),
        form=FORM.format(label=html.escape(t("my_data.page_button"))) if form else "",
    )
    return web.Response(text=body, content_type="text/html", charset="utf-8", status=status, headers=PAGE_HEADERS)


class DataCopyRoute:
    """Serves one-time copy links; the token is the only credential."""

    def __init__(self, files: FileStore) -> None:
        self.files = files

    async def page(self, request: web.Request) -> web.Response:
        """The download page, or "used or expired" (410)."""
        if not await data_copies.pending(request.match_info["token"]):
            return _page("my_data.page_gone", form=False, status=410)
        return _page("my_data.page_text", form=True)

    async def download(self, request: web.Request) -> web.Response:
        """The zip, once; 410 afterwards."""
        staff = await data_copies.redeem(request.match_info["token"])
        if staff is None:
            return _page("my_data.page_gone", form=False, status=410)
        data = await export_person(staff, self.files)
        logger.info("staff %s downloaded a copy of their data by one-time link", staff.id)
        return web.Response(
            body=data,
            content_type="application/zip",
            headers={**PAGE_HEADERS, "Content-Disposition": 'attachment; filename="my-data.zip"'},
        )
