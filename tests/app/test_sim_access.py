"""Who the simulator and /metrics answer: this machine, or a request carrying the operator's token.

The aiohttp test client connects from 127.0.0.1, so "another machine" is either a request
with proxy headers (what a local reverse proxy adds), a Host that is not this machine
(DNS rebinding), or a real connection to this machine's network address.
"""

from __future__ import annotations

import json
import logging
import socket

import aiohttp
import pytest

from bot.app import SERVICES, create_app
from storage.models import ChatIdentity
from tests.builders.chat import settle
from tests.builders.roster import load_roster
from tests.builders.submissions import this_year

SIM_TOKEN = "sim-token-for-tests-0123456789"
METRICS_TOKEN = "metrics-token-for-tests-0123456789"
PROXIED = (
    {"X-Forwarded-For": "203.0.113.9"},
    {"Forwarded": "for=203.0.113.9"},
    {"X-Real-IP": "203.0.113.9"},
)
SIM_GETS = ("/sim", "/sim/api/people", "/sim/api/messages?user=staff-E003")


def _network_address() -> str | None:
    """This machine's address on its default route (not loopback), if it has one."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.123", 9))  # no packet is sent: this only picks the route
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") else address


async def test_proxied_requests_get_a_bare_403_and_make_nobody_admin(client):
    await load_roster()
    for headers in PROXIED:
        for path in SIM_GETS:
            response = await client.get(path, headers=headers)
            assert response.status == 403, (path, headers)
            assert "E003" not in await response.text()
        response = await client.post("/sim/api/session", json={"employee_code": "E003"}, headers=headers)
        assert response.status == 403
    assert not await ChatIdentity.filter(channel="sim").exists()
    # The same machine without proxy headers is the newcomer's browser: it is answered.
    assert (await client.get("/sim/api/people")).status == 200


async def test_a_foreign_host_name_is_refused(client):
    # A web page whose domain now resolves to 127.0.0.1 reaches the loopback peer with its own Host.
    response = await client.get("/sim/api/people", headers={"Host": "attacker.example"})
    assert response.status == 403


async def test_another_machine_is_refused_without_the_token(aiohttp_client, settings):
    address = _network_address()
    if address is None:
        pytest.skip("no network address besides loopback")
    app = create_app(settings.model_copy(update={"sim_token": SIM_TOKEN}))
    client = await aiohttp_client(app, server_kwargs={"host": "0.0.0.0"})
    await load_roster()
    url = f"http://{address}:{client.server.port}/sim/api/people"
    async with aiohttp.ClientSession() as session:
        async with session.get(url, headers={"Host": "localhost"}) as response:
            assert response.status == 403
        async with session.get(url, headers={"X-Sim-Token": SIM_TOKEN}) as response:
            assert response.status == 200
            assert "E003" in {p["code"] for p in await response.json()}


async def test_the_token_lets_a_proxied_browser_in(aiohttp_client, settings):
    client = await aiohttp_client(create_app(settings.model_copy(update={"sim_token": SIM_TOKEN})))
    proxied = {"X-Forwarded-For": "203.0.113.9"}
    assert (await client.get("/sim/api/people", headers={**proxied, "X-Sim-Token": "wrong"})).status == 403
    assert (await client.get("/sim/api/people", headers={**proxied, "X-Sim-Token": SIM_TOKEN})).status == 200
    assert (await client.get("/sim?token=wrong", headers=proxied, allow_redirects=False)).status == 403

    opened = await client.get(f"/sim?token={SIM_TOKEN}", headers=proxied, allow_redirects=False)
    assert opened.status == 303 and opened.headers["Location"] == "/sim"
    set_cookie = opened.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie and "Path=/sim" in set_cookie
    assert SIM_TOKEN not in set_cookie
    cookie = opened.cookies["sim_access"].value
    client.session.cookie_jar.clear()  # each request below says which cookie it carries
    with_cookie = {**proxied, "Cookie": f"sim_access={cookie}"}
    assert (await client.get("/sim", headers=with_cookie)).status == 200
    response = await client.post("/sim/api/session", json={"employee_code": None}, headers=with_cookie)
    assert response.status == 200
    assert (await client.get("/sim/api/people", headers={**proxied, "Cookie": "sim_access=forged"})).status == 403


async def test_without_sim_token_no_header_opens_the_door(client):
    headers = {"X-Forwarded-For": "203.0.113.9", "X-Sim-Token": ""}
    assert (await client.get("/sim/api/people", headers=headers)).status == 403
    assert (await client.get("/sim?token=", headers=headers, allow_redirects=False)).status == 403


async def test_cross_site_posts_are_refused(client):
    await load_roster()
    # What a form or fetch() on any web site can send without a CORS preflight.
    body = json.dumps({"employee_code": "E003"})
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        response = await client.post("/sim/api/session", data=body, headers={"Content-Type": content_type})
        assert response.status == 415
        response = await client.post(
            "/sim/api/send", data=json.dumps({"user": "staff-E003", "text": "รายงาน"}),
            headers={"Content-Type": content_type},
        )
        assert response.status == 415
    assert not await ChatIdentity.filter(channel="sim").exists()
    form = aiohttp.FormData()
    form.add_field("user", "staff-E003")
    form.add_field("file", b"employee_code\nX1\n", filename="roster.csv", content_type="text/csv")
    assert (await client.post("/sim/api/upload", data=form)).status == 403


async def test_messages_need_a_numeric_after(client):
    response = await client.get("/sim/api/messages", params={"user": "visitor-1", "after": "abc"})
    assert response.status == 400
    response = await client.get("/sim/api/messages", params={"user": "visitor-1", "after": "1e3"})
    assert response.status == 400
    assert (await client.get("/sim/api/messages", params={"user": "visitor-1", "after": "0"})).status == 200


async def test_messages_carry_no_server_paths(client, settings, sim_user):
    await load_roster()
    admin = sim_user("E003")
    await admin.says(f"รายงาน {this_year()}")
    files = [r for r in admin.seen if r.get("file_name")]
    assert files and files[0]["file_name"] == f"report-{this_year()}.xlsx"
    assert all("file_path" not in r for r in admin.seen)


async def test_metrics_answer_this_machine_or_the_token(aiohttp_client, settings):
    tokened = await aiohttp_client(create_app(settings.model_copy(update={"metrics_token": METRICS_TOKEN})))
    assert (await tokened.get("/metrics")).status == 200
    for headers in PROXIED:
        response = await tokened.get("/metrics", headers=headers)
        assert response.status == 403
        assert "bot_" not in await response.text()
    proxied = {"X-Forwarded-For": "203.0.113.9"}
    wrong = await tokened.get("/metrics", headers={**proxied, "Authorization": "Bearer nope"})
    assert wrong.status == 403
    right = await tokened.get("/metrics", headers={**proxied, "Authorization": f"Bearer {METRICS_TOKEN}"})
    assert right.status == 200 and "bot_" in await right.text()


@pytest.mark.parametrize(
    ("update", "line"),
    [
        ({}, "simulator /sim: on, loopback only (set SIM_TOKEN to allow other machines)"),
        ({"sim_token": SIM_TOKEN}, "simulator /sim: on, loopback and requests carrying SIM_TOKEN"),
        ({"sim_enabled": False}, "simulator /sim: off"),
    ],
)
async def test_start_up_says_who_may_use_the_simulator(aiohttp_client, settings, caplog, update, line):
    caplog.set_level(logging.INFO, logger="bot.app")
    await aiohttp_client(create_app(settings.model_copy(update=update)))
    assert line in caplog.messages
    assert SIM_TOKEN not in caplog.text


async def test_with_the_simulator_off_its_sessions_are_forgotten(aiohttp_client, settings, caplog):
    on = await aiohttp_client(create_app(settings))
    await load_roster()
    assert (await on.post("/sim/api/session", json={"employee_code": "E001"})).status == 200
    assert await ChatIdentity.filter(channel="sim").count() == 1
    await on.close()

    caplog.set_level(logging.INFO, logger="bot.app")
    off = await aiohttp_client(create_app(settings.model_copy(update={"sim_enabled": False})))
    assert "sim" not in off.server.app[SERVICES].channels
    assert not await ChatIdentity.filter(channel="sim").exists()
    assert "simulator off: removed 1 simulator chat link(s)" in caplog.messages
    assert (await off.get("/sim")).status == 404
    await settle(off)
