"""Drivers that chat with the real app as a user would: signed webhooks in, fake platform out.

Each driver posts what a platform would post, waits until the service has handled
it, and reads back what the user saw from the platform fake (errbot's
push_message/pop_message, Bot Framework's TestFlow).
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Callable
from typing import Any

from bot.app import SERVICES
from tests.builders.roster import code_for
from tests.fakes import FakeLineAPI, FakeTelegramAPI
from tests.fakes.line_events import (
    file_event,
    follow_event,
    image_event,
    line_webhook_body,
    postback_event,
    sign_line_body,
    text_event,
)
from tests.fakes.telegram_updates import (
    callback_update,
    document_update,
    message_update,
    photo_update,
    start_update,
)


# The /sim pages open on each test app: the real page polls for new messages, so after every
# settle each of them fetches what was delivered to it (a prompt someone else's turn caused, too).
_SIM_PAGES: weakref.WeakKeyDictionary[Any, list[SimUser]] = weakref.WeakKeyDictionary()


async def settle(client: Any) -> None:
    """Wait until every stored event is handled and its replies delivered, and open /sim pages polled."""
    await client.server.app[SERVICES].processor.drain(timeout=20)
    for page in _SIM_PAGES.get(client, []):
        await page.poll()


class LineUser:
    """A LINE user in a 1:1 chat with the bot."""

    channel = "line"

    def __init__(self, client: Any, fake: FakeLineAPI, secret: str, user_id: str) -> None:
        self.client, self.fake, self.secret, self.user_id = client, fake, secret, user_id
        self._content = 0

    async def post(self, events: list[dict[str, Any]], *, signature: str | None = "sign") -> Any:
        """POST a webhook body; signature "sign" signs it correctly, None omits the header."""
        body = line_webhook_body(events)
        raw = json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if signature == "sign":
            headers["X-Line-Signature"] = sign_line_body(raw, self.secret)
        elif signature is not None:
            headers["X-Line-Signature"] = signature
        return await self.client.post("/webhook/line", data=raw, headers=headers)

    async def send(self, event: dict[str, Any]) -> Any:
        """Deliver one event and wait for the bot to finish with it."""
        response = await self.post([event])
        assert response.status == 200, await response.text()
        await settle(self.client)
        return response

    def token(self) -> str:
        """A fresh reply token bound to this user."""
        return self.fake.issue_reply_token(self.user_id)

    async def says(self, text: str) -> None:
        """Type a message."""
        await self.send(text_event(self.user_id, text, self.token()))

    async def follows(self) -> None:
        """Add the bot as a friend."""
        await self.send(follow_event(self.user_id, self.token()))

    async def presses(self, label: str) -> None:
        """Tap the button with this label on the latest message that has it."""
        await self.send(postback_event(self.user_id, self.button_data(label), self.token()))

    async def sends_file(self, data: bytes, name: str, *, image: bool = False, mime: str | None = None) -> None:
        """Send a photo (image=True) or a file message; `mime` is the type LINE's content API answers with."""
        self._content += 1
        message_id = f"{abs(hash(self.user_id)) % 10**8}{self._content:06d}"
        self.fake.add_content(message_id, data, mime or ("image/jpeg" if image else "application/octet-stream"))
        if image:
            event = image_event(self.user_id, message_id, self.token())
        else:
            event = file_event(self.user_id, message_id, name, len(data), self.token())
        await self.send(event)

    async def sends_action(self, data: str) -> None:
        """Tap a button carrying this data, whether or not it was shown to this user (a replayed or forged tap)."""
        await self.send(postback_event(self.user_id, data, self.token()))

    def texts(self) -> list[str]:
        """Everything this user was shown, oldest first."""
        return self.fake.texts_to(self.user_id)

    def last(self) -> str:
        """The text of the latest message."""
        texts = self.texts()
        assert texts, "the bot sent nothing"
        return texts[-1]

    def button_data(self, label: str) -> str:
        """Postback data of the newest button with this label (Flex footer or quick reply)."""
        for message in reversed(self.fake.messages_to(self.user_id)):
            for action in _line_actions(message):
                if action.get("label") == label:
                    return action["data"]
        raise AssertionError(f"no button {label!r}")


def _line_actions(message: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "postback" and "data" in node:
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message)
    return found


class TelegramUser:
    """A Telegram user in a private chat with the bot."""

    channel = "telegram"

    def __init__(self, client: Any, fake: FakeTelegramAPI, secret: str, user_id: int, ids: Any) -> None:
        self.client, self.fake, self.secret, self.user_id = client, fake, secret, user_id
        self._ids = ids
        self._files = 0

    def next_update_id(self) -> int:
        """A fresh update_id."""
        return next(self._ids)

    async def post(self, update: dict[str, Any], *, secret: str | None = "valid") -> Any:
        """POST an update; secret "valid" sends the right header, None omits it."""
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.secret if secret == "valid" else secret
        return await self.client.post("/webhook/telegram", data=json.dumps(update), headers=headers)

    async def send(self, update: dict[str, Any]) -> Any:
        """Deliver one update and wait for the bot to finish with it."""
        response = await self.post(update)
        assert response.status == 200, await response.text()
        await settle(self.client)
        return response

    async def says(self, text: str) -> None:
        """Type a message (text starting with /start PAYLOAD becomes a deep link)."""
        if text.startswith("/start "):
            await self.send(start_update(self.next_update_id(), self.user_id, text.split(" ", 1)[1]))
        else:
            await self.send(message_update(self.next_update_id(), self.user_id, text))

    async def follows(self) -> None:
        """Open the bot (bare /start)."""
        await self.send(message_update(self.next_update_id(), self.user_id, "/start"))

    async def presses(self, label: str) -> None:
        """Tap the inline button with this label on the newest message that has it."""
        data, message_id = self.button(label)
        await self.send(callback_update(self.next_update_id(), self.user_id, data, message_id))

    async def sends_action(self, data: str) -> None:
        """Tap a button carrying this data, whether or not it was shown to this user (a replayed or forged tap)."""
        await self.send(callback_update(self.next_update_id(), self.user_id, data, 1))

    def button_data(self, label: str) -> str:
        """Callback data of the newest inline button with this label."""
        return self.button(label)[0]

    def button(self, label: str) -> tuple[str, int]:
        """Callback data and message id of the newest inline button with this label."""
        for message in reversed(self.fake.messages_to(self.user_id)):
            markup = message.get("reply_markup") or {}
            if isinstance(markup, str):
                markup = json.loads(markup)
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    if button.get("text") == label:
                        return button["callback_data"], message["message_id"]
        raise AssertionError(f"no button {label!r}")

    async def sends_file(self, data: bytes, name: str, *, image: bool = False, mime: str | None = None) -> None:
        """Send a photo (image=True) or a document."""
        self._files += 1
        file_id = f"file-{self.user_id}-{self._files}"
        self.fake.add_file(file_id, data)
        if image:
            update = photo_update(self.next_update_id(), self.user_id, [(file_id, len(data))])
        else:
            update = document_update(
                self.next_update_id(), self.user_id, file_id, name, mime or "application/octet-stream", len(data)
            )
        await self.send(update)

    def texts(self) -> list[str]:
        """Everything this user was shown, oldest first."""
        return self.fake.texts_to(self.user_id)

    def last(self) -> str:
        """The text of the latest message."""
        texts = self.texts()
        assert texts, "the bot sent nothing"
        return texts[-1]


class SimUser:
    """A person using the /sim page's API (the browser test drives the page itself)."""

    channel = "sim"

    def __init__(self, client: Any, employee_code: str | None) -> None:
        self.client, self.employee_code = client, employee_code
        self.user_id: str | None = None
        self.seen: list[dict[str, Any]] = []
        self._after = 0
        _SIM_PAGES.setdefault(client, []).append(self)

    async def open(self) -> None:
        """Pick the person and open the chat."""
        response = await self.client.post("/sim/api/session", json={"employee_code": self.employee_code})
        assert response.status == 200, await response.text()
        self.user_id = (await response.json())["user"]

    async def _send(self, body: dict[str, Any]) -> None:
        if self.user_id is None:
            await self.open()
        response = await self.client.post("/sim/api/send", json={"user": self.user_id, **body})
        assert response.status == 200, await response.text()
        await settle(self.client)

    async def poll(self) -> None:
        """Fetch new messages, as the open page does every second."""
        if self.user_id is None:
            return
        response = await self.client.get("/sim/api/messages", params={"user": self.user_id, "after": self._after})
        for message in await response.json():
            self._after = max(self._after, message["id"])
            self.seen.extend(message["replies"])

    async def says(self, text: str) -> None:
        """Type a message."""
        await self._send({"text": text})

    async def follows(self) -> None:
        """Open the chat window."""
        await self._send({"follow": True})

    async def presses(self, label: str) -> None:
        """Tap the newest button with this label."""
        await self.sends_action(self.button_data(label))

    def button_data(self, label: str) -> str:
        """The action of the newest button with this label."""
        for reply in reversed(self.seen):
            for button in (reply.get("buttons") or []) + (reply.get("quick") or []):
                if button["label"] == label:
                    return "|".join([button["action"]["name"], *button["action"]["args"]])
        raise AssertionError(f"no button {label!r}")

    async def sends_action(self, data: str) -> None:
        """Tap a button carrying this data, whether or not it was shown to this user (a replayed or forged tap)."""
        await self._send({"action": data})

    async def sends_file(self, data: bytes, name: str, *, image: bool = False, mime: str | None = None) -> None:
        """Upload a file as the page does."""
        import aiohttp

        if self.user_id is None:
            await self.open()
        form = aiohttp.FormData()
        form.add_field("user", self.user_id)
        form.add_field("file", data, filename=name, content_type=mime or ("image/jpeg" if image else "text/csv"))
        response = await self.client.post("/sim/api/upload", data=form, headers={"X-Sim-Request": "1"})
        assert response.status == 200, await response.text()
        await settle(self.client)

    def texts(self) -> list[str]:
        """Everything this user was shown, oldest first (titles included)."""
        return [f"{r['title']}\n{r['text']}" if r.get("title") else r["text"] for r in self.seen]

    def last(self) -> str:
        """The text of the latest message."""
        assert self.seen, "the bot sent nothing"
        return self.texts()[-1]


ChatUser = LineUser | TelegramUser | SimUser


class ChatUsers:
    """New people on one channel ("line", "telegram" or "sim"), all driven through the same methods.

    `users()` is someone who has not linked an account; `await users.linked("E005")` is someone
    who linked with a fresh code, on /sim as on the platforms.
    """

    def __init__(self, channel: str, make: Callable[[], ChatUser]) -> None:
        self.channel, self._make = channel, make

    def __call__(self) -> ChatUser:
        return self._make()

    async def linked(self, employee_code: str) -> ChatUser:
        """A new person who linked to this staff member with a fresh code."""
        return await link(self(), employee_code)

    def __repr__(self) -> str:
        return f"ChatUsers({self.channel!r})"


async def link(user: ChatUser, employee_code: str) -> ChatUser:
    """Link a chat to a staff member by typing a fresh code, as told on the roster sheet."""
    await user.says(await code_for(employee_code))
    assert "เชื่อมบัญชีเรียบร้อยแล้ว" in "\n".join(user.texts())
    return user
