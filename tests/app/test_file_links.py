"""Signed file links: a key that survives restarts, a 72-hour default life, nosniff, and no links in the access log."""

from __future__ import annotations

import asyncio
import logging
import os
import stat

from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.access_log import RedactingAccessLogger
from bot.app import SERVICES, create_app
from bot.file_links import SECRET_FILE, FileLinks, stored_secret

JPEG = b"\xff\xd8\xff\xe0" + b"certificate" * 20


async def test_links_survive_a_restart(aiohttp_client, settings):
    first = await aiohttp_client(create_app(settings))
    services = first.server.app[SERVICES]
    stored = await services.files.put(JPEG)
    link = services.links.path(stored.sha256)
    await first.close()

    # A new process on the same data directory: a web process after a worker, or a restart.
    second = await aiohttp_client(create_app(settings))
    response = await second.get(link)
    assert response.status == 200
    assert await response.read() == JPEG
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_generated_key_is_private_and_shared(tmp_path):
    key = stored_secret(tmp_path / "data")
    assert stored_secret(tmp_path / "data") == key
    mode = stat.S_IMODE(os.stat(tmp_path / "data" / "file_link_secret").st_mode)
    assert mode == 0o600


async def test_a_configured_secret_is_used_and_no_key_file_written(aiohttp_client, settings):
    client = await aiohttp_client(create_app(settings.model_copy(update={"file_link_secret": "configured"})))
    stored = await client.server.app[SERVICES].files.put(JPEG)
    # Another machine with the same FILE_LINK_SECRET makes links this one honours.
    assert (await client.get(FileLinks("configured").path(stored.sha256))).status == 200
    assert not (settings.data_dir / SECRET_FILE).exists()


async def test_links_live_72_hours_unless_configured(aiohttp_client, settings):
    assert FileLinks("k").path("a" * 64, now=1000).split("/")[3] == str(1000 + 72 * 3600)
    client = await aiohttp_client(create_app(settings.model_copy(update={"file_link_ttl_hours": 2})))
    links = client.server.app[SERVICES].links
    assert links.path("a" * 64, now=1000).split("/")[3] == str(1000 + 2 * 3600)


async def test_every_response_says_nosniff(client):
    for path in ("/healthz", "/no-such-page", "/files/x/1/y"):
        response = await client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff", path


async def test_the_access_log_keeps_no_signed_link_or_token(aiohttp_client, settings, caplog):
    server = TestServer(create_app(settings))
    await server.start_server(access_log_class=RedactingAccessLogger)  # as serve() passes it to run_app
    client = await aiohttp_client(server)
    services = client.server.app[SERVICES]
    stored = await services.files.put(JPEG)
    link = services.links.path(stored.sha256)
    signature = link.rsplit("/", 1)[1]
    caplog.set_level(logging.INFO, logger="aiohttp.access")
    assert (await client.get(link, headers={"Referer": "http://localhost:8080/sim?token=sekret"})).status == 200
    assert (await client.get("/sim/api/messages?user=staff-E003&after=0")).status == 200
    for _ in range(50):  # the access line is written after the response is sent
        if len([r for r in caplog.records if r.name == "aiohttp.access"]) >= 2:
            break
        await asyncio.sleep(0.02)
    text = caplog.text
    assert '"GET /files/… HTTP/1.1" 200' in text
    assert '"GET /sim/api/messages?… HTTP/1.1" 200' in text
    for secret in (stored.sha256, signature, "sekret", "E003"):
        assert secret not in text


def test_serve_logs_access_through_the_redacting_logger(settings, monkeypatch):
    import bot.__main__ as cli

    seen: dict = {}

    def run_app(app: web.Application, **kwargs) -> None:
        seen.update(kwargs)
        kwargs["loop"].close()

    monkeypatch.setattr(web, "run_app", run_app)
    assert cli.serve(settings) == 0
    assert seen["access_log_class"] is RedactingAccessLogger
