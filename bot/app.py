"""The aiohttp application factory: one web server for webhooks, the simulator, health and metrics."""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from aiohttp import web

from bot import sim_access
from bot.channels import line, line_menus, sim, telegram, telegram_menus
from bot.channels.base import ChannelAdapter
from bot.broadcast import PACE_MARGIN, Broadcaster, Pace
from bot.delivery import Delivery
from bot.data_copy_route import DataCopyRoute
from bot.file_links import FileLinks, FileRoute, stored_secret
from bot.ingest import Ingest
from bot.menus import MenuSyncers, role_menus
from bot.metrics import AllowanceReading, Metrics
from bot.ocr_runner import OcrRunner
from certificates.pool import ReaderPool
from bot.processor import EventProcessor
from bot.readiness import Beat, Loop, Readiness
from bot.request_origin import from_this_machine
from bot.sending import Notifier
from bot.sim_access import Handler
from config.settings import Settings
from handlers import ROUTERS
from handlers.certificate_card import certificate_card
from handlers.notice_card import notice_replies
from handlers.certificate_checks import check as check_reading
from scheduler.notices import NoticeQueue
from scheduler.setup import build_scheduler
from storage import inbox as inbox_store
from storage.db import close_db, open_db
from storage.files import FileStore, file_store
from storage.inbox import InboxWriter
from storage.leases import LeaseHeartbeat
from storage.models import ChatIdentity
from storage.queue_depths import queue_depths
from storage.seed import seed_defaults

logger = logging.getLogger(__name__)


# Every channel's capabilities, configured here or not: another process may run it.
CAPABILITIES = {c.name: c.capabilities for c in (line.LineChannel, telegram.TelegramChannel, sim.SimChannel)}


@dataclass
class Services:
    """What request handlers and background loops share, built at start-up."""

    settings: Settings
    channels: dict[str, ChannelAdapter]
    files: FileStore
    inbox: InboxWriter
    processor: EventProcessor
    delivery: Delivery
    metrics: Metrics
    ocr: OcrRunner
    links: FileLinks
    ingest: Ingest
    notifier: Notifier
    broadcaster: Broadcaster
    allowance_gauge: AllowanceReading | None = None

    @property
    def wake_broadcast(self) -> Callable[[], None]:
        """Nudge the notice dispatcher (a notice was just queued)."""
        return self.broadcaster.wake


@dataclass
class Endpoints:
    """The route handlers that use services, built at start-up with the ones each needs."""

    line: line.LineWebhook
    telegram: telegram.TelegramWebhook
    files: FileRoute
    sim: sim.SimApi
    copies: DataCopyRoute
    ready: Readiness


SERVICES = web.AppKey("services", Services)
ENDPOINTS = web.AppKey("endpoints", Endpoints)
SETTINGS = web.AppKey("settings", Settings)
# A reader pool the caller owns and keeps warm across apps (tests): the app neither starts nor closes it.
GIVEN_READER_POOL = web.AppKey("given_reader_pool", ReaderPool)


def build_channels(
    settings: Settings, files: FileStore, links: FileLinks | None = None
) -> dict[str, ChannelAdapter]:
    """The configured channels; one without credentials is off, with one log line."""
    channels: dict[str, ChannelAdapter] = {}
    if settings.line_enabled:
        channels["line"] = line.LineChannel(settings, links)
    else:
        logger.info("LINE is off: set LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN to enable it")
    if settings.telegram_enabled:
        channels["telegram"] = telegram.TelegramChannel(settings, files)
        if settings.telegram_mode == "webhook" and not settings.telegram_webhook_secret:
            logger.warning("Telegram webhook mode needs TELEGRAM_WEBHOOK_SECRET: every update will be refused")
    else:
        logger.info("Telegram is off: set TELEGRAM_BOT_TOKEN to enable it")
    # With /sim off nothing may be queued for it: its chats are pretend sessions nobody reads.
    if settings.sim_on:
        channels["sim"] = sim.SimChannel(files)
    return channels


async def _forget_sim_sessions() -> None:
    """With /sim off, unlink its pretend sessions so no notification is queued to them."""
    removed = await ChatIdentity.filter(channel="sim").delete()
    if removed:
        logger.info("simulator off: removed %d simulator chat link(s)", removed)


async def _services(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    db = await open_db(settings.resolved_database_url, run_migrations=settings.migrate_on_start)
    await seed_defaults(load_demo_roster=settings.demo_roster_on)
    files = file_store(settings)
    logger.info("stored files: %s", files.describe())
    metrics = Metrics()
    secret = settings.file_link_secret or await asyncio.to_thread(stored_secret, settings.data_dir)
    links = FileLinks(secret, settings.file_link_ttl_hours * 3600)
    # A worker serves no pages, though it handles the events of a simulator that is on elsewhere.
    logger.info(sim_access.describe(settings.sim_on and settings.process_role != "worker", settings.sim_token))
    if not settings.sim_on:
        await _forget_sim_sessions()
    channels = build_channels(settings, files, links)
    metrics.start_at_zero(sorted(channels))
    # One pace per platform for everything this process sends there: notices wait for their turn,
    # chat replies never wait but count.
    # 5 % below the configured rates: requests bunch up on the way, and the platform counts arrivals.
    paces = {
        "telegram": Pace(settings.broadcast_telegram_rate * PACE_MARGIN),
        "line": Pace(settings.broadcast_line_rate * PACE_MARGIN),
    }
    delivery = Delivery(channels, metrics, paces={"telegram": paces["telegram"]})
    broadcaster = Broadcaster(
        channels, CAPABILITIES, notice_replies, metrics, paces,
        chat_interval=settings.broadcast_chat_interval_seconds,
    )
    line_channel = channels.get("line")
    # LINE pushes count against a monthly allowance; sweeps ask what is left before they queue.
    # Every answer LINE gives is also shown in /metrics; a scrape asks again when it is stale.
    allowance_gauge = (
        AllowanceReading(line_channel.allowance, metrics.line_allowance_left)
        if isinstance(line_channel, line.LineChannel) else None
    )
    allowances = {"line": allowance_gauge.ask} if allowance_gauge else {}
    notifier = Notifier(CAPABILITIES, delivery, allowances=allowances)
    writer = InboxWriter()
    # The processor lets webhook requests that are storing go first, and the ingest wakes
    # the processor once they stored: each reads the other, so the count is read late.
    processor = EventProcessor(
        settings, channels, ROUTERS, files, notifier, metrics, webhooks_in_flight=lambda: ingest.in_flight
    )
    ingest = Ingest(writer, processor.wake, metrics)
    writer.start()
    heartbeat = LeaseHeartbeat()
    heartbeat.start()
    works = settings.process_role in ("all", "worker")
    given_pool = app.get(GIVEN_READER_POOL)
    pool = given_pool or ReaderPool(settings.ocr_workers, timeout=settings.ocr_read_timeout_seconds)
    if works and given_pool is None:
        await pool.start()
    ocr = OcrRunner(
        pool, files, notifier, metrics, concurrency=pool.workers,
        check=check_reading, card=certificate_card, max_crashes=settings.ocr_max_crashes,
    )
    processor.on_signal["ocr"] = ocr.wake
    services = Services(
        settings, channels, files, writer, processor, delivery, metrics, ocr, links, ingest, notifier, broadcaster,
        allowance_gauge,
    )
    app[SERVICES] = services
    line_channel, tg = channels.get("line"), channels.get("telegram")
    # Linking and roster imports signal "menus": each channel's menus follow the routes' entries.
    menus, entries = MenuSyncers(), role_menus(ROUTERS)
    if isinstance(line_channel, line.LineChannel):
        menus.add(line_menus.LineMenus(line_channel, entries))
    if isinstance(tg, telegram.TelegramChannel):
        menus.add(telegram_menus.TelegramMenus(tg, entries))
    processor.on_signal["menus"] = menus.wake
    scheduler_beat = Beat()
    stale = settings.worker_stale_seconds
    # The loops this process runs report to its /readyz; a web-only process runs none (see bot/readiness.py).
    loops = [
        Loop("events", lambda: processor.beat_at, stale),
        Loop("certificates", lambda: ocr.beat_at, stale + settings.ocr_read_timeout_seconds),
        Loop("scheduler", lambda: scheduler_beat.beat_at, stale),
    ] if works else []
    app[ENDPOINTS] = Endpoints(
        line=line.LineWebhook(line_channel if isinstance(line_channel, line.LineChannel) else None, ingest, metrics),
        telegram=telegram.TelegramWebhook(tg if isinstance(tg, telegram.TelegramChannel) else None, ingest, metrics),
        files=FileRoute(links, files),
        sim=sim.SimApi(ingest, files, links, settings.max_upload_bytes),
        copies=DataCopyRoute(files),
        ready=Readiness(files, settings.min_free_disk_mb, loops),
    )
    if isinstance(tg, telegram.TelegramChannel):
        await tg.start()
        if settings.telegram_mode == "polling" and settings.process_role != "worker":
            async def enqueue(event: inbox_store.NewEvent) -> None:
                await ingest.store([event])

            tg.start_polling(enqueue)
    notice_queue = NoticeQueue(services)
    processor.on_signal["notices"] = notice_queue.wake
    scheduler = build_scheduler(services, processor.wake, notice_queue, beat=scheduler_beat.beat)
    if works:
        # A web-only process just stores events; worker processes find them by polling.
        processor.start()
        ocr.start()
        broadcaster.start()
        scheduler.start()
    logger.info(
        "service started: role=%s channels=%s sim=%s", settings.process_role, sorted(channels), settings.sim_on
    )
    try:
        yield
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        # Both let their work in hand finish briefly, then hand back the rest: side by side,
        # so a SIGTERMed worker is gone within one grace period.
        await asyncio.gather(processor.stop(), ocr.stop())
        await broadcaster.stop()
        await menus.stop()
        if allowance_gauge is not None:
            await allowance_gauge.close()
        if given_pool is None:
            await pool.close()
        await writer.stop()
        await heartbeat.stop()
        await delivery.close()
        for channel in channels.values():
            await channel.close()
        await files.close()
        await close_db(db)


async def healthz(request: web.Request) -> web.Response:
    """Liveness and a cheap database round trip."""
    pending = await inbox_store.pending_count()
    return web.json_response({"status": "ok", "pending_events": pending})


def _may_read_metrics(request: web.Request) -> bool:
    token = request.app[SETTINGS].metrics_token
    if token:
        given = request.headers.get("Authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return True
    return from_this_machine(request)


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text exposition: to this machine, or to a scraper carrying METRICS_TOKEN."""
    if not _may_read_metrics(request):
        raise web.HTTPForbidden()
    services = request.app[SERVICES]
    registry = services.metrics
    # Queue depths are read at scrape time: they are shared by every process on the database.
    depths = await queue_depths()
    registry.dead_letters.set(depths.dead_letters)
    registry.pending_events.set(depths.inbox)
    registry.pending_ocr_jobs.set(depths.ocr)
    registry.pending_outbox.set(depths.outbox)
    if services.allowance_gauge is not None:
        await services.allowance_gauge.refresh()
    body = registry.render()
    return web.Response(body=body, content_type="text/plain", charset="utf-8")


SECURITY_HEADERS = {
    # Browsers must not guess a type (an uploaded "image" rendered as HTML), frame our pages
    # (clickjacking the simulator) or pass signed file links on as a Referer.
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


async def _to_simulator(request: web.Request) -> web.Response:
    raise web.HTTPFound("/sim")


def _built_at_start(pick: Callable[[Endpoints], Handler]) -> Handler:
    """A route whose handler start-up builds, with the services it uses.

    Routes are fixed before start-up runs, and the channel clients need the running
    loop, so the route finds its handler on the app, where `_services` put it.
    """

    async def handle(request: web.Request) -> web.StreamResponse:
        return await pick(request.app[ENDPOINTS])(request)

    return handle


def create_app(settings: Settings | None = None, *, reader_pool: ReaderPool | None = None) -> web.Application:
    """Build the web application; start-up opens the database and starts the loops.

    `reader_pool`, when given, is a started pool the caller owns (the tests share one
    warm pool across many apps); otherwise the app starts and closes its own.
    """
    settings = settings or Settings()
    app = web.Application(client_max_size=settings.max_upload_bytes + 1024 * 1024)
    app[SETTINGS] = settings
    if reader_pool is not None:
        app[GIVEN_READER_POOL] = reader_pool
    app.cleanup_ctx.append(_services)
    app.on_response_prepare.append(_security_headers)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", _built_at_start(lambda e: e.ready))
    app.router.add_get("/metrics", metrics)
    if settings.process_role == "worker":
        return app
    app.router.add_get("/files/{sha}/{expires}/{sig}", _built_at_start(lambda e: e.files))
    app.router.add_get("/copy/{token}", _built_at_start(lambda e: e.copies.page))
    app.router.add_post("/copy/{token}", _built_at_start(lambda e: e.copies.download))
    app.router.add_post("/webhook/line", _built_at_start(lambda e: e.line))
    app.router.add_post("/webhook/telegram", _built_at_start(lambda e: e.telegram))
    if settings.sim_on:
        sim.add_routes(
            app,
            settings.sim_token,
            send=_built_at_start(lambda e: e.sim.send),
            upload=_built_at_start(lambda e: e.sim.upload),
            messages=_built_at_start(lambda e: e.sim.messages),
        )
        app.router.add_get("/", _to_simulator)
    return app
