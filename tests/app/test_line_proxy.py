"""The LINE client goes through the proxy the environment names (agency networks often require one),
and straight to LINE for hosts NO_PROXY covers; the proxy is read when the client is made."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bot.channels.line import LineChannel
from bot.events import Reply
from config.settings import Settings
from tests.fakes.line_api import FakeLineAPI
from tests.fakes.line_events import line_user_id


class ForwardProxy:
    """A plain HTTP forward proxy: takes absolute-form requests and passes them on, counting them."""

    def __init__(self) -> None:
        self.forwarded: list[str] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def _forward(self, request: web.Request) -> web.Response:
        target = str(request.url)  # the absolute URL the client asked the proxy for
        self.forwarded.append(target)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "proxy-connection")}
        async with aiohttp.ClientSession() as session:
            async with session.request(request.method, target, data=await request.read(), headers=headers) as answer:
                body = await answer.read()
                return web.Response(status=answer.status, body=body, content_type=answer.content_type)

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
async def proxy() -> AsyncIterator[ForwardProxy]:
    server = ForwardProxy()
    await server.start()
    yield server
    await server.close()


async def push_once(settings: Settings, user: str) -> None:
    channel = LineChannel(settings)
    try:
        await channel.deliver(user, [Reply("ทดสอบผ่านพร็อกซี")], None, None, key="proxy-test")
    finally:
        await channel.close()


async def test_pushes_go_through_the_proxy_the_environment_names(settings, line_api: FakeLineAPI, proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    user = line_user_id("behind-a-proxy")
    await push_once(settings, user)
    assert line_api.texts_to(user) == ["ทดสอบผ่านพร็อกซี"]
    assert [url.removeprefix(line_api.url) for url in proxy.forwarded] == ["/v2/bot/message/push"]


async def test_hosts_no_proxy_covers_are_reached_directly(settings, line_api: FakeLineAPI, proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    user = line_user_id("inside-the-network")
    await push_once(settings, user)
    assert line_api.texts_to(user) == ["ทดสอบผ่านพร็อกซี"]
    assert proxy.forwarded == []
