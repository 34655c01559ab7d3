"""Self-check of the API fakes: the real SDK clients work against them, bad calls are refused.

Run with `python -m pytest tests/app/test_fakes_selfcheck.py` from the repository root (the fakes
are imported as `tests.fakes`, like the app's packages, from the current directory).
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from linebot.v3 import WebhookParser
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    AsyncMessagingApiBlob,
    Configuration,
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexMessage,
    FlexText,
    MessageAction,
    MulticastRequest,
    PostbackAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    RichMenuArea,
    RichMenuBounds,
    RichMenuRequest,
    RichMenuSize,
    SetWebhookEndpointRequest,
    ShowLoadingAnimationRequest,
    TextMessage,
)
from linebot.v3.messaging import TestWebhookEndpointRequest as WebhookTestRequest  # not a pytest class
from linebot.v3.messaging.exceptions import ApiException
from linebot.v3.webhooks import (
    FileMessageContent,
    FollowEvent,
    ImageMessageContent,
    MessageEvent,
    PostbackEvent,
    TextMessageContent,
    UnfollowEvent,
)
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken

from tests.builders.paths import REPO
from tests.fakes import (
    FakeLineAPI,
    FakeTelegramAPI,
    bot_api,
    callback_update,
    document_update,
    file_event,
    follow_event,
    image_event,
    line_user_id,
    line_webhook_body,
    message_update,
    photo_update,
    postback_event,
    sign_line_body,
    specs_dir,
    start_update,
    text_event,
    unfollow_event,
    validate_line_event,
    validate_line_webhook,
    validate_update,
)

LINE_TOKEN = "test-token"
TG_TOKEN = "123456:TEST-token"
CHANNEL_SECRET = "0123456789abcdef0123456789abcdef"
THAI = "สวัสดีครับ ยินดีต้อนรับ"


# --- fixtures ------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def line_fake() -> AsyncIterator[FakeLineAPI]:
    """A running FakeLineAPI."""
    fake = FakeLineAPI(channel_access_token=LINE_TOKEN)
    await fake.start()
    yield fake
    await fake.close()


@pytest_asyncio.fixture
async def line_sdk(line_fake: FakeLineAPI) -> AsyncIterator[tuple[AsyncMessagingApi, AsyncMessagingApiBlob]]:
    """The real line-bot-sdk async clients pointed at the fake (both hosts on one URL)."""
    client = AsyncApiClient(Configuration(host=line_fake.url, access_token=LINE_TOKEN))
    yield AsyncMessagingApi(client), AsyncMessagingApiBlob(client)
    await client.close()


@pytest_asyncio.fixture
async def tg_fake() -> AsyncIterator[FakeTelegramAPI]:
    """A running FakeTelegramAPI."""
    async with FakeTelegramAPI(token=TG_TOKEN) as fake:
        yield fake


@pytest_asyncio.fixture
async def bot(tg_fake: FakeTelegramAPI) -> AsyncIterator[Bot]:
    """The real PTB Bot pointed at the fake."""
    async with Bot(TG_TOKEN, base_url=f"{tg_fake.url}/bot", base_file_url=f"{tg_fake.url}/file/bot") as client:
        yield client


def test_specs_dir_honours_shared_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """SHARED_DIR wins; the default is the shared/ folder beside the repository."""
    monkeypatch.setenv("SHARED_DIR", str(tmp_path))
    assert specs_dir() == tmp_path / "specs"
    monkeypatch.delenv("SHARED_DIR")
    assert specs_dir() == REPO.parent / "shared" / "specs"


# --- LINE ----------------------------------------------------------------------------------


def _bubble_with_button(label: str = "เมนูหลัก") -> FlexBubble:
    return FlexBubble(
        body=FlexBox(
            layout="vertical", contents=[FlexText(text="หัวข้อ", weight="bold"), FlexText(text=THAI, wrap=True)]
        ),
        footer=FlexBox(
            layout="vertical",
            contents=[
                FlexButton(action=PostbackAction(label=label, data="a=menu", displayText=label), style="primary")
            ],
        ),
    )


@pytest.mark.asyncio
async def test_line_reply_push_and_content(
    line_fake: FakeLineAPI, line_sdk: tuple[AsyncMessagingApi, AsyncMessagingApiBlob]
) -> None:
    """Reply (token once), push with a retry key (409 on repeat, delivered once), download."""
    api, blob = line_sdk
    user = line_user_id("alice")
    token = line_fake.issue_reply_token(user)
    quick = QuickReply(items=[QuickReplyItem(action=PostbackAction(label="ความคืบหน้า", data="a=progress"))])
    response = await api.reply_message(
        ReplyMessageRequest(
            replyToken=token,
            messages=[
                TextMessage(text=THAI, quickReply=quick),
                FlexMessage(altText="เมนู", contents=_bubble_with_button()),
            ],
        )
    )
    assert len(response.sent_messages) == 2

    with pytest.raises(ApiException) as used:
        await api.reply_message(ReplyMessageRequest(replyToken=token, messages=[TextMessage(text="again")]))
    assert used.value.status == 400 and json.loads(used.value.body) == {"message": "Invalid reply token"}

    now = [1000.0]
    line_fake.clock = lambda: now[0]
    stale = line_fake.issue_reply_token(user)
    now[0] += line_fake.reply_token_ttl + 1
    with pytest.raises(ApiException) as expired:
        await api.reply_message(ReplyMessageRequest(replyToken=stale, messages=[TextMessage(text="late")]))
    assert expired.value.status == 400

    key = str(uuid.uuid4())
    push = PushMessageRequest(to=user, messages=[TextMessage(text="แจ้งเตือน: ใบประกาศได้รับแล้ว")])
    first = await api.push_message(push, x_line_retry_key=key)
    with pytest.raises(ApiException) as again:
        await api.push_message(push, x_line_retry_key=key)
    assert again.value.status == 409
    assert json.loads(again.value.body)["sentMessages"][0]["id"] == first.sent_messages[0].id

    line_fake.add_content("4711", b"%PDF-1.7 certificate", "application/pdf")
    assert bytes(await blob.get_message_content("4711")) == b"%PDF-1.7 certificate"
    with pytest.raises(ApiException) as missing:
        await blob.get_message_content("4712")
    assert missing.value.status == 404

    assert [m["type"] for m in line_fake.messages_to(user)] == ["text", "flex", "text"]
    texts = line_fake.texts_to(user)  # one string per message, quick-reply labels left out
    assert texts[0] == THAI
    assert texts[1] == f"เมนู\nหัวข้อ\n{THAI}\nเมนูหลัก"  # altText, flex texts, button label
    assert "ใบประกาศ" in texts[-1]
    assert [c.status for c in line_fake.calls_to("/v2/bot/message/push")] == [200, 409]
    assert line_fake.calls_to("/v2/bot/message/push")[0].headers["X-Line-Retry-Key"] == key
    line_fake.assert_clean()
    line_fake.clear()
    assert line_fake.calls == [] and line_fake.messages_to(user) == []


@pytest.mark.asyncio
async def test_line_other_endpoints(
    line_fake: FakeLineAPI, line_sdk: tuple[AsyncMessagingApi, AsyncMessagingApiBlob]
) -> None:
    """Profile, bot info, loading animation, webhook endpoint set/test, multicast."""
    api, _blob = line_sdk
    alice, bob = line_user_id("alice"), line_user_id("bob")
    line_fake.add_profile(alice, "สมหญิง", language="th")
    assert (await api.get_profile(alice)).display_name == "สมหญิง"
    assert (await api.get_bot_info()).user_id == line_fake.bot_user_id
    await api.show_loading_animation(ShowLoadingAnimationRequest(chatId=alice, loadingSeconds=20))
    await api.set_webhook_endpoint(SetWebhookEndpointRequest(endpoint="https://bot.example.go.th/webhook/line"))
    assert line_fake.webhook_endpoint == "https://bot.example.go.th/webhook/line"
    assert (await api.test_webhook_endpoint(WebhookTestRequest())).success is True
    await api.multicast(MulticastRequest(to=[alice, bob], messages=[TextMessage(text="ประกาศ")]))
    assert line_fake.texts_to(bob) == ["ประกาศ"]
    line_fake.assert_clean()

    with pytest.raises(ApiException) as odd:  # 7 s is not a multiple of 5
        await api.show_loading_animation(ShowLoadingAnimationRequest(chatId=alice, loadingSeconds=7))
    assert odd.value.status == 400 and "loadingSeconds" in line_fake.violations[-1]


def _bad_requests(user: str) -> dict[str, tuple[PushMessageRequest, str]]:
    # .construct() skips the SDK's own pydantic checks, so the fake's checks are what refuses.
    flex_no_alt = FlexMessage.construct(type="flex", contents=_bubble_with_button())
    text_no_text = TextMessage.construct(type="text")
    long_data = FlexMessage(
        altText="x",
        contents=FlexBubble(
            body=FlexBox(
                layout="vertical",
                contents=[FlexButton(action=PostbackAction.construct(type="postback", label="ok", data="d" * 301))],
            )
        ),
    )
    long_label = TextMessage(
        text="เลือก", quickReply=QuickReply(items=[QuickReplyItem(action=PostbackAction(label="ก" * 21, data="x"))])
    )
    six = [TextMessage(text=str(i)) for i in range(6)]

    def push(messages: list[object]) -> PushMessageRequest:
        return PushMessageRequest.construct(to=user, messages=messages, notification_disabled=False)

    return {
        "flex without altText": (push([flex_no_alt]), "messages[0].altText"),
        "text without text": (push([text_no_text]), "messages[0].text"),
        "six messages": (push(six), "messages"),
        "postback data of 301": (push([long_data]), "messages[0].contents.body.contents[0].action.data"),
        "quick reply label of 21": (push([long_label]), "messages[0].quickReply.items[0].action.label"),
    }


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "case",
    ["flex without altText", "text without text", "six messages", "postback data of 301", "quick reply label of 21"],
)
async def test_line_refuses_bad_messages(
    case: str, line_fake: FakeLineAPI, line_sdk: tuple[AsyncMessagingApi, AsyncMessagingApiBlob]
) -> None:
    """Spec breaches the SDK would let through (or that the file hides) get 400 + a violation."""
    api, _blob = line_sdk
    user = line_user_id("carol")
    request, prop = _bad_requests(user)[case]
    with pytest.raises(ApiException) as refused:
        await api.push_message(request)
    assert refused.value.status == 400
    body = json.loads(refused.value.body)
    assert body["message"].startswith("The request body has")
    assert prop in [d["property"] for d in body["details"]]
    assert any(prop in v for v in line_fake.violations)
    assert line_fake.messages_to(user) == []
    with pytest.raises(AssertionError, match="violation"):
        line_fake.assert_clean()


def _text(text: str, **extra: object) -> dict[str, object]:
    return {"type": "text", "text": text, **extra}


def _buttons(text: str, count: int, **extra: object) -> dict[str, object]:
    template = {
        "type": "buttons",
        "text": text,
        "actions": [{"type": "message", "label": "ok", "text": "ok"}] * count,
    }
    return {"type": "template", "altText": "alt", "template": {**template, **extra}}


def _flex(*contents: dict[str, object]) -> dict[str, object]:
    return {
        "type": "flex",
        "altText": "alt",
        "contents": {"type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": list(contents)}},
    }


_POSTBACK_BUTTON = {"type": "button", "action": {"type": "postback", "label": "x" * 41, "data": "d"}}


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("message", "prop"),
    [
        (_text("ก" * 5001), "messages[0].text"),
        (_text(""), "messages[0].text"),
        ({**_buttons("t", 1), "altText": "a" * 401}, "messages[0].altText"),
        (_buttons("t", 5), "messages[0].template.actions"),
        (_buttons("t" * 161, 1), "messages[0].template.text"),
        (_buttons("t" * 61, 1, title="หัวข้อ"), "messages[0].template.text"),
        (_buttons("t", 1, actions=[{"type": "message", "text": "no label"}]), "messages[0].template.actions[0].label"),
        (_flex(*[{"type": "text", "text": "ข" * 200}] * 60), "messages[0].contents"),
        (_flex({"type": "text", "text": ""}), "messages[0].contents.body.contents[0].text"),
        (_flex(_POSTBACK_BUTTON), "messages[0].contents.body.contents[0].action.label"),
        (
            _text(
                "x",
                quickReply={
                    "items": [{"type": "action", "action": {"type": "message", "label": "a", "text": "a"}}] * 14
                },
            ),
            "messages[0].quickReply.items",
        ),
        ({"type": "txt", "text": "x"}, "messages[0].type"),
        ({**_flex({"type": "text", "text": "x"}), "alttext": "typo"}, "messages[0].alttext"),
    ],
)
async def test_line_documented_limits_on_raw_json(
    line_fake: FakeLineAPI, message: dict[str, object], prop: str
) -> None:
    """Limits LINE documents only in prose (and schema rules) refuse raw JSON bodies too."""
    body = {"to": line_user_id("erin"), "messages": [message]}
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {LINE_TOKEN}"}) as http:
        async with http.post(f"{line_fake.url}/v2/bot/message/push", json=body) as response:
            assert response.status == 400
            details = (await response.json())["details"]
    assert prop in [d["property"] for d in details], details


@pytest.mark.asyncio
async def test_line_labels_count_grapheme_clusters(line_fake: FakeLineAPI) -> None:
    """A Thai label of 21 code points but 7 clusters fits the 20-character quick-reply limit."""
    label = "ที่" * 7
    assert len(label) == 21
    quick = {"items": [{"type": "action", "action": {"type": "postback", "label": label, "data": "d"}}]}
    body = {"to": line_user_id("erin"), "messages": [_text("เลือก", quickReply=quick)]}
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {LINE_TOKEN}"}) as http:
        async with http.post(f"{line_fake.url}/v2/bot/message/push", json=body) as response:
            assert response.status == 200
    line_fake.assert_clean()


def _png(width: int, height: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("P", (width, height)).save(out, format="PNG")
    return out.getvalue()


def _rich_menu(name: str = "ocsc-staff-test", width: int = 2500, height: int = 843, **extra: object) -> RichMenuRequest:
    area = RichMenuArea(
        bounds=RichMenuBounds(x=0, y=0, width=width, height=height),
        action=MessageAction(label="เมนู", text="เมนู"),
    )
    body = {"size": RichMenuSize(width=width, height=height), "selected": True, "name": name, "chatBarText": "เมนู"}
    return RichMenuRequest(**{**body, "areas": [area], **extra})


@pytest.mark.asyncio
async def test_line_rich_menu_lifecycle(
    line_fake: FakeLineAPI, line_sdk: tuple[AsyncMessagingApi, AsyncMessagingApiBlob]
) -> None:
    """Create, upload a picture on the data host, list, link to a user, delete: state kept."""
    api, blob = line_sdk
    alice = line_user_id("alice")
    menu_id = (await api.create_rich_menu(_rich_menu())).rich_menu_id
    assert (await api.get_rich_menu_list()).richmenus == []  # listed only once it has a picture
    await blob.set_rich_menu_image(menu_id, _png(2500, 843), _headers={"Content-Type": "image/png"})
    [listed] = (await api.get_rich_menu_list()).richmenus
    assert listed.rich_menu_id == menu_id and listed.name == "ocsc-staff-test"
    await api.link_rich_menu_id_to_user(alice, menu_id)
    assert line_fake.rich_menu_of(alice)["name"] == "ocsc-staff-test"
    assert (await api.get_rich_menu_id_of_user(alice)).rich_menu_id == menu_id
    await api.delete_rich_menu(menu_id)
    assert line_fake.rich_menu_of(alice) is None and line_fake.rich_menus == {}
    line_fake.assert_clean()


@pytest.mark.asyncio
async def test_line_rich_menu_refusals(
    line_fake: FakeLineAPI, line_sdk: tuple[AsyncMessagingApi, AsyncMessagingApiBlob]
) -> None:
    """Sizes, pictures and links LINE refuses are refused and recorded as violations."""
    api, blob = line_sdk
    with pytest.raises(ApiException) as small:  # narrower than 800 px
        await api.create_rich_menu(_rich_menu(width=700, height=400))
    assert small.value.status == 400 and "size.width" in line_fake.violations[-1]
    with pytest.raises(ApiException) as tall:  # width/height under 1.45
        await api.create_rich_menu(_rich_menu(width=2500, height=2500))
    assert tall.value.status == 400
    menu_id = (await api.create_rich_menu(_rich_menu())).rich_menu_id
    with pytest.raises(ApiException) as unlinkable:  # no picture yet
        await api.link_rich_menu_id_to_user(line_user_id("bob"), menu_id)
    assert unlinkable.value.status == 400
    with pytest.raises(ApiException) as wrong_size:
        await blob.set_rich_menu_image(menu_id, _png(2500, 1686), _headers={"Content-Type": "image/png"})
    assert wrong_size.value.status == 400 and "must match" in line_fake.violations[-1]
    with pytest.raises(ApiException) as not_png:
        await blob.set_rich_menu_image(menu_id, b"GIF89a" + bytes(100), _headers={"Content-Type": "image/gif"})
    assert not_png.value.status == 400 and any("image/png or image/jpeg" in v for v in line_fake.violations)
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {LINE_TOKEN}"}) as http:
        raw = _rich_menu().to_dict()
        raw["chatBarText"] = "ก" * 15  # the schema's 14-character limit
        del raw["selected"]  # required by the reference, optional in the schema file
        async with http.post(f"{line_fake.url}/v2/bot/richmenu", json=raw) as response:
            assert response.status == 400
            props = [d["property"] for d in (await response.json())["details"]]
    assert "chatBarText" in props and "selected" in props
    with pytest.raises(ApiException) as gone:
        await api.delete_rich_menu("richmenu-" + "0" * 32)
    assert gone.value.status == 404


@pytest.mark.asyncio
async def test_line_wrong_token_and_unknown_endpoint(line_fake: FakeLineAPI) -> None:
    """A wrong bearer token is 401; a path LINE does not have is a violation."""
    async with AsyncApiClient(Configuration(host=line_fake.url, access_token="wrong")) as client:
        with pytest.raises(ApiException) as denied:
            await AsyncMessagingApi(client).get_bot_info()
    assert denied.value.status == 401
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{line_fake.url}/v2/bot/nonsense", headers={"Authorization": f"Bearer {LINE_TOKEN}"}) as r:
            assert r.status == 404
    assert line_fake.violations == ["GET /v2/bot/nonsense: is not a LINE Messaging API endpoint"]


def test_line_event_builders_match_webhook_spec() -> None:
    """Every builder's event conforms to webhook.yml and parses with the SDK's WebhookParser."""
    user = line_user_id("dave")
    events = [
        text_event(user, THAI, "r1"),
        postback_event(user, "a=menu", "r2"),
        follow_event(user, "r3"),
        unfollow_event(user),
        image_event(user, "100001", "r4"),
        file_event(user, "100002", "ใบประกาศ.pdf", 12345, "r5", redelivery=True),
    ]
    for event in events:
        assert validate_line_event(event) == []
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", event["webhookEventId"])
        assert event["mode"] == "active" and event["source"] == {"type": "user", "userId": user}
        assert event["timestamp"] > 1_600_000_000_000
    body = line_webhook_body(events)
    assert validate_line_webhook(body) == []

    raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    parsed = WebhookParser(CHANNEL_SECRET).parse(raw.decode("utf-8"), sign_line_body(raw, CHANNEL_SECRET))
    assert [type(e) for e in parsed] == [
        MessageEvent,
        PostbackEvent,
        FollowEvent,
        UnfollowEvent,
        MessageEvent,
        MessageEvent,
    ]
    assert isinstance(parsed[0].message, TextMessageContent) and parsed[0].message.text == THAI
    assert isinstance(parsed[4].message, ImageMessageContent)
    assert isinstance(parsed[5].message, FileMessageContent) and parsed[5].delivery_context.is_redelivery

    # The discriminator is resolved: a text message without `text` is caught, not waved through.
    broken = text_event(user, "x", "r6")
    del broken["message"]["text"]
    assert validate_line_event(broken) == ["message.text: must be specified"]


# --- Telegram ------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_telegram_send_edit_answer_commands_file(tg_fake: FakeTelegramAPI, bot: Bot) -> None:
    """PTB sends with a keyboard, edits, answers a callback, sets commands and downloads."""
    chat = 987654321
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("ดูความคืบหน้า", callback_data="a=progress")],
            [InlineKeyboardButton("ช่วยเหลือ", callback_data="a=help")],
        ]
    )
    sent = await bot.send_message(chat, THAI, reply_markup=keyboard)
    assert sent.message_id == 1 and sent.text == THAI and sent.reply_markup == keyboard
    assert [b["callback_data"] for row in tg_fake.last_keyboard(chat) for b in row] == ["a=progress", "a=help"]

    edited = await bot.edit_message_text("อัปเดตแล้ว", chat_id=chat, message_id=sent.message_id, reply_markup=keyboard)
    assert edited.text == "อัปเดตแล้ว" and edited.edit_date is not None
    assert tg_fake.texts_to(chat) == ["อัปเดตแล้ว"]
    await bot.edit_message_reply_markup(chat_id=chat, message_id=sent.message_id, reply_markup=None)
    assert tg_fake.last_keyboard(chat) is None
    second = await bot.send_message(chat, "ต่อไป")
    assert second.message_id == 2

    assert await bot.answer_callback_query("4242", text="รับทราบ") is True
    assert await bot.set_my_commands([BotCommand("menu", "เมนูหลัก"), BotCommand("progress", "ความคืบหน้า")])
    assert [c.command for c in await bot.get_my_commands()] == ["menu", "progress"]

    tg_fake.add_file("DOC-1", b"%PDF-1.7 cert", "documents/file_7.pdf")
    tg_file = await bot.get_file("DOC-1")
    buffer = io.BytesIO()
    await tg_file.download_to_memory(buffer)
    assert buffer.getvalue() == b"%PDF-1.7 cert"

    doc = await bot.send_document(chat, InputFile(io.BytesIO(b"xlsx-bytes"), filename="รายงาน.xlsx"), caption="รายงาน")
    assert doc.document.file_name == "รายงาน.xlsx"
    assert tg_fake.messages_to(chat)[-1]["document"].data == b"xlsx-bytes"  # multipart upload decoded

    assert [c.endpoint for c in tg_fake.calls][:3] == ["getMe", "sendMessage", "editMessageText"]
    assert all("<token>" in c.path for c in tg_fake.calls)  # the token stays out of the log
    for message in (sent, edited, doc):  # what the fake answers conforms to the spec too
        assert bot_api().check_object("Message", message.to_dict()) == []
    tg_fake.assert_clean()


@pytest.mark.asyncio
async def test_telegram_refuses_long_callback_data(tg_fake: FakeTelegramAPI, bot: Bot) -> None:
    """22 Thai characters are 66 UTF-8 bytes: over the 64-byte callback_data limit."""
    thai_data = "ก" * 22
    with pytest.raises(BadRequest, match="callback_data"):
        await bot.send_message(
            1, "x", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("ก", callback_data=thai_data)]])
        )
    assert tg_fake.violations == [
        "sendMessage: reply_markup.inline_keyboard[0][0].callback_data: must be 1-64 bytes, got 66"
    ]
    assert tg_fake.messages_to(1) == []


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda b: b.send_message(1, "ก" * 4097), "text: must be 1-4096 characters"),
        (
            lambda b: b.send_message(1, "x", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("x")]])),
            "exactly one",
        ),
        (lambda b: b.send_document(1, "FILE", caption="c" * 1025), "caption: must be 0-1024"),
        (lambda b: b.answer_callback_query("1", text="x" * 201), "text: must be 0-200"),
        (lambda b: b.set_my_commands([BotCommand("Menu", "x")]), "command: must be 1-32 characters of a-z"),
        (lambda b: b.set_my_commands([BotCommand(f"c{i}", "x") for i in range(101)]), "at most 100"),
        (lambda b: b.set_webhook("http://insecure.example/hook"), "HTTPS"),
    ],
)
async def test_telegram_refuses_documented_limits(
    tg_fake: FakeTelegramAPI, bot: Bot, call: object, fragment: str
) -> None:
    """Documented limits are enforced as 400 Bad Request and recorded."""
    with pytest.raises(BadRequest):
        await call(bot)  # type: ignore[operator]
    assert any(fragment in v for v in tg_fake.violations), tg_fake.violations


@pytest.mark.asyncio
async def test_telegram_errors_like_telegram(tg_fake: FakeTelegramAPI, bot: Bot) -> None:
    """Wrong token 401, not-modified edit 400, blocked chat 403, getUpdates under a webhook 409."""
    with pytest.raises(InvalidToken):  # initialize() calls getMe
        async with Bot("999:WRONG", base_url=f"{tg_fake.url}/bot"):
            pass
    sent = await bot.send_message(5, "เดิม")
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("เดิม", chat_id=5, message_id=sent.message_id)
    tg_fake.block(6)
    with pytest.raises(Forbidden):
        await bot.send_message(6, "hi")
    await bot.set_webhook("https://bot.example.go.th/webhook/telegram", secret_token="s3cret_token")
    with pytest.raises(Conflict):
        await bot.get_updates()
    assert tg_fake.violations == [] and len(tg_fake.errors) == 4


@pytest.mark.asyncio
async def test_telegram_raw_json_query_and_unknown(tg_fake: FakeTelegramAPI) -> None:
    """JSON bodies and query strings work too; unknown methods and parameters are violations."""
    base = f"{tg_fake.url}/bot{TG_TOKEN}"
    markup = {"inline_keyboard": [[{"text": "เมนู", "callback_data": "m"}]]}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/sendMessage", json={"chat_id": 7, "text": "json", "reply_markup": markup}) as r:
            assert r.status == 200 and (await r.json())["result"]["reply_markup"] == markup
        async with http.get(f"{base}/sendMessage", params={"chat_id": "7", "text": "query"}) as r:
            assert r.status == 200
        async with http.post(f"{base}/sendMesage", json={"chat_id": 7, "text": "typo"}) as r:
            assert r.status == 404 and (await r.json())["description"] == "Not Found"
        async with http.post(f"{base}/sendMessage", json={"chat_id": 7, "txt": "typo"}) as r:
            assert r.status == 400
    assert tg_fake.texts_to(7) == ["json", "query"]
    assert tg_fake.violations == [
        "sendMesage: no such Bot API method",
        "sendMessage: text: required parameter is missing",
        "sendMessage: txt: unknown parameter",
    ]


@pytest.mark.asyncio
async def test_telegram_long_polling(tg_fake: FakeTelegramAPI, bot: Bot) -> None:
    """getUpdates hangs until an update is queued, and the offset confirms earlier ones."""
    loop = asyncio.get_running_loop()
    loop.call_later(0.2, tg_fake.queue_update, message_update(10, 42, "สวัสดี"))
    started = loop.time()
    updates = await bot.get_updates(timeout=5)
    assert [u.update_id for u in updates] == [10] and loop.time() - started < 3
    tg_fake.queue_update(start_update(11, 42, "LINK123"))
    assert [u.update_id for u in await bot.get_updates(offset=11)] == [11]
    assert await bot.get_updates(offset=12) == ()


def test_telegram_update_builders_match_spec() -> None:
    """Every builder's update conforms to api.json's Update and parses with PTB."""
    updates = [
        message_update(1, 42, THAI),
        start_update(2, 42, "ABC123"),
        callback_update(3, 42, "a=progress", message_id=7),
        photo_update(4, 42, [("ph-small", 1200), ("ph-large", 95000)], caption="ใบประกาศ"),
        document_update(5, 42, "doc-1", "ใบประกาศ.pdf", "application/pdf", 123456),
    ]
    bot = Bot(TG_TOKEN)
    for update in updates:
        assert validate_update(update) == [], update
        assert Update.de_json(update, bot).update_id == update["update_id"]
    start = Update.de_json(updates[1], bot).message
    assert start.text == "/start ABC123" and start.entities[0].type == "bot_command"
    assert Update.de_json(updates[2], bot).callback_query.data == "a=progress"

    broken = message_update(6, 42, "x")
    del broken["message"]["chat"]
    assert validate_update(broken) == ["message.chat: required field is missing"]


# --- standalone ----------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("module", ["tests.fakes.line_api", "tests.fakes.telegram_api"])
async def test_standalone_process(module: str) -> None:
    """`python -m tests.fakes.<fake> --port 0` serves until terminated, then prints a summary."""
    proc = subprocess.Popen(
        [sys.executable, "-m", module, "--port", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 30)  # type: ignore[union-attr]
        url = line.strip().rsplit(" ", 1)[-1]
        assert url.startswith("http://127.0.0.1:")
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{url}/__fake__/stats") as r:
                assert (await r.json())["violations"] == []
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0 and "summary" in err
