"""The web simulator: a third channel served at /sim for trying the bot without credentials.

It runs through the same inbox, dispatcher and outbox as LINE and Telegram
(Rasa's RestInput with a collecting output): the page posts events and reads
back the outbox rows addressed to its chat. Every route answers only whom
`bot.sim_access` allows: this machine, or a request carrying SIM_TOKEN.
"""

from __future__ import annotations

import json
import re
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

from aiohttp import web

from bot import sim_access
from bot.channels.base import DownloadError
from bot.events import Action, Capabilities, FileRef, Incoming, Reply
from bot.file_links import DOCUMENT_LIFETIME_SECONDS, FileLinks
from bot.ingest import Ingest
from storage import people
from storage.files import FileStore
from storage.inbox import NewEvent
from storage.models import OutboxMessage, Staff

PAGE = Path(__file__).with_name("sim_page.html")
MAX_TEXT = 2000
# Set by the page on uploads: a cross-site form cannot send a custom header without a CORS preflight.
REQUEST_HEADER = "X-Sim-Request"
OUTBOX_ID = re.compile(r"[0-9]{1,18}")


class SimChannel:
    """Events come from the page; delivery just leaves messages in the outbox for the page."""

    name = "sim"
    # The page shows an edit as a new message and a file by its name: the file stays on this machine.
    capabilities = Capabilities(edit=True, files="local", max_buttons=20, max_text=5000, messages_per_request=50)

    def __init__(self, files: FileStore) -> None:
        self.files = files

    def to_incoming(self, payload: dict[str, Any], received_at: float) -> Incoming | None:
        """A stored simulator event as a neutral one."""
        base: dict[str, Any] = {
            "event_id": f"sim:{payload['id']}",
            "channel": "sim",
            "user": payload["user"],
            "chat": payload["user"],
            "received_at": received_at,
        }
        kind = payload.get("kind")
        if kind == "text":
            return Incoming(kind="text", text=payload["text"], **base)
        if kind == "action":
            return Incoming(kind="action", action=Action.decode(payload["action"]), **base)
        if kind == "file":
            f = payload["file"]
            ref = FileRef(f["sha256"], f["kind"], name=f.get("name"), mime=f.get("mime"), size=f.get("size"))
            return Incoming(kind="file", file=ref, **base)
        if kind == "follow":
            return Incoming(kind="follow", **base)
        return None

    def acknowledgement(self, event: Incoming) -> None:
        """Nothing to acknowledge."""
        return None

    async def download(self, ref: FileRef, max_bytes: int) -> bytes:
        """Uploaded files are already in the store."""
        try:
            return await self.files.read(ref.file_id)
        except (OSError, ValueError) as exc:
            raise DownloadError("sim file missing") from exc

    async def deliver(
        self,
        chat: str,
        replies: list[Reply],
        reply_token: str | None,
        reply_token_at: float | None,
        key: str,
    ) -> list[str]:
        """The page polls the outbox, so a sent mark is all delivery means here."""
        return []

    async def close(self) -> None:
        """Nothing to close."""


def _event(user: str, **fields: Any) -> NewEvent:
    event_uuid = uuid.uuid4().hex
    return NewEvent(
        event_id=f"sim:{event_uuid}",
        channel="sim",
        user_key=f"sim:{user}",
        payload={"id": event_uuid, "user": user, **fields},
        received_at=time.time(),
    )


def _valid_user(user: Any) -> str:
    if not isinstance(user, str) or not user or len(user) > 100:
        raise web.HTTPBadRequest(text="user required")
    return user


async def _json_body(request: web.Request) -> dict[str, Any]:
    # Only JSON: a cross-site page can post text/plain or a form without a preflight, not JSON.
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType()
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise web.HTTPBadRequest(text="JSON required") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="JSON object required")
    return body


async def page(request: web.Request) -> web.StreamResponse:
    """GET /sim: the chat page."""
    return web.FileResponse(PAGE, headers={"Cache-Control": "no-store"})


async def list_people(request: web.Request) -> web.Response:
    """GET /sim/api/people: roster members one can pretend to be."""
    rows = await Staff.filter(active=True).order_by("employee_code").select_related("unit").limit(500)
    return web.json_response(
        [
            {
                "code": s.employee_code,
                "name": s.display_name,
                "unit": s.unit.name if s.unit else "",
                "roles": [r for r, on in (("supervisor", s.is_supervisor), ("admin", s.is_admin)) if on],
            }
            for s in rows
        ]
    )


async def open_session(request: web.Request) -> web.Response:
    """POST /sim/api/session: become a linked staff member, or an unlinked visitor."""
    body = await _json_body(request)
    code = body.get("employee_code")
    if not code:
        return web.json_response({"user": f"visitor-{secrets.token_hex(4)}", "linked": False})
    staff = await people.by_code(str(code))
    if staff is None or not staff.active:
        raise web.HTTPNotFound(text="unknown employee code")
    user = f"staff-{staff.employee_code}"
    await people.link("sim", user, staff)
    return web.json_response({"user": user, "linked": True, "name": staff.display_name})


class SimApi:
    """The simulator routes that store events and show stored files, built with what they use."""

    def __init__(self, ingest: Ingest, files: FileStore, links: FileLinks, max_upload_bytes: int) -> None:
        self.ingest = ingest
        self.files = files
        self.links = links
        self.max_upload_bytes = max_upload_bytes

    async def send(self, request: web.Request) -> web.Response:
        """POST /sim/api/send: a typed text, a pressed button, or opening the chat."""
        body = await _json_body(request)
        user = _valid_user(body.get("user"))
        if isinstance(body.get("text"), str) and body["text"].strip():
            event = _event(user, kind="text", text=body["text"][:MAX_TEXT])
        elif isinstance(body.get("action"), str) and body["action"]:
            event = _event(user, kind="action", action=body["action"][:300])
        elif body.get("follow"):
            event = _event(user, kind="follow")
        else:
            raise web.HTTPBadRequest(text="text or action required")
        await self.ingest.store([event])
        return web.json_response({"event_id": event.event_id})

    async def upload(self, request: web.Request) -> web.Response:
        """POST /sim/api/upload (multipart: user, file): a photo or document."""
        if request.headers.get(REQUEST_HEADER) != "1":
            raise web.HTTPForbidden()
        limit = self.max_upload_bytes
        form = await request.post()
        user = _valid_user(form.get("user"))
        field = form.get("file")
        if not isinstance(field, web.FileField):
            raise web.HTTPBadRequest(text="file required")
        data = field.file.read(limit + 1)
        mime = field.content_type or "application/octet-stream"
        kind = "image" if mime.startswith("image/") else "file"
        # An oversized upload is not stored: the dispatcher refuses it by its size alone.
        sha256 = "0" * 64 if len(data) > limit else (await self.files.put(data)).sha256
        event = _event(
            user,
            kind="file",
            file={"sha256": sha256, "kind": kind, "name": field.filename, "mime": mime, "size": len(data)},
        )
        await self.ingest.store([event])
        return web.json_response({"event_id": event.event_id})

    async def messages(self, request: web.Request) -> web.Response:
        """GET /sim/api/messages?user=…&after=…: what the bot sent to this chat."""
        user = _valid_user(request.query.get("user"))
        after_text = request.query.get("after", "") or "0"
        if not OUTBOX_ID.fullmatch(after_text):
            raise web.HTTPBadRequest(text="after must be a message id")
        after = int(after_text)
        rows = await OutboxMessage.filter(channel="sim", chat=user, id__gt=after, status="sent").order_by("id")
        out = []
        for row in rows:
            replies = [dict(r) for r in row.payload]
            for reply in replies:
                # The page shows a report's file name; where it lies on the server is not for the browser.
                reply.pop("file_path", None)
                if reply.get("image"):  # a signed, expiring link: files are never public
                    reply["image_url"] = self.links.path(reply["image"])
                if reply.get("document"):  # a notice's attachment: a signed link named by its file name
                    reply["document_url"] = self.links.path(reply["document"], lifetime=DOCUMENT_LIFETIME_SECONDS)
            out.append({"id": row.id, "replies": replies, "at": row.sent_at})
        return web.json_response(out)



def add_routes(
    app: web.Application,
    token: str | None,
    *,
    send: sim_access.Handler,
    upload: sim_access.Handler,
    messages: sim_access.Handler,
) -> None:
    """Mount the simulator's page and API, each answering only whom `sim_access` allows.

    The app passes the `SimApi` routes in: they use services built at start-up.
    """
    routes = (
        ("GET", "/sim", page),
        ("GET", "/sim/api/people", list_people),
        ("POST", "/sim/api/session", open_session),
        ("POST", "/sim/api/send", send),
        ("POST", "/sim/api/upload", upload),
        ("GET", "/sim/api/messages", messages),
    )
    for method, path, handler in routes:
        app.router.add_route(method, path, sim_access.guard(handler, token))
