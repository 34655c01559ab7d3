"""The aiohttp application factory: one web server for webhooks, the simulator, health and metrics."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web

from bot.channels import line, sim, telegram
from bot.channels.base import ChannelAdapter
from bot.delivery import Delivery
from bot.file_links import FileLinks, serve_file
from bot.metrics import Metrics
from bot.ocr_runner import OcrRunner
from certificates.pool import ReaderPool
from bot.processor import EventProcessor
from config.settings import Settings
from handlers import ROUTERS
from scheduler.setup import build_scheduler
from storage import inbox as inbox_store
from storage.db import close_db, open_db
from storage.files import FileStore
from storage.inbox import InboxWriter
from storage.seed import seed_defaults

logger = logging.getLogger(__name__)


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


SERVICES = web.AppKey("services", Services)
SETTINGS = web.AppKey("settings", Settings)


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
    # The simulator's events are always accepted by the dispatcher; only its pages are optional.
    channels["sim"] = sim.SimChannel(files)
    return channels


async def _services(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    db = await open_db(settings.resolved_database_url, run_migrations=settings.migrate_on_start)
    await seed_defaults(load_demo_roster=settings.demo_roster_on)
    files = FileStore(settings.data_dir / "files")
    metrics = Metrics()
    links = FileLinks(settings.file_link_secret)
    channels = build_channels(settings, files, links)
    delivery = Delivery(channels, metrics)
    processor = EventProcessor(settings, channels, ROUTERS, files, delivery, metrics)
    writer = InboxWriter()
    writer.start()
    works = settings.process_role in ("all", "worker")
    pool = ReaderPool(settings.ocr_workers)
    if works:
        await pool.start()
    ocr = OcrRunner(pool, files, delivery, metrics, concurrency=pool.workers)
    processor.on_signal["ocr"] = ocr.wake
    services = Services(settings, channels, files, writer, processor, delivery, metrics, ocr, links)
    app[SERVICES] = services
    tg = channels.get("telegram")
    if isinstance(tg, telegram.TelegramChannel):
        await tg.start()
        if settings.telegram_mode == "polling" and settings.process_role != "worker":
            async def enqueue(event: inbox_store.NewEvent) -> None:
                await writer.store([event])
                processor.wake()

            tg.start_polling(enqueue)
    scheduler = build_scheduler(services)
    if works:
        # A web-only process just stores events; worker processes find them by polling.
        processor.start()
        ocr.start()
        scheduler.start()
    logger.info(
        "service started: role=%s channels=%s sim=%s", settings.process_role, sorted(channels), settings.sim_on
    )
    try:
        yield
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        await processor.stop()
        await ocr.stop()
        await pool.close()
        await writer.stop()
        await delivery.close()
        for channel in channels.values():
            await channel.close()
        await close_db(db)


async def healthz(request: web.Request) -> web.Response:
    """Liveness and a cheap database round trip."""
    pending = await inbox_store.pending_count()
    return web.json_response({"status": "ok", "pending_events": pending})


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text exposition."""
    body = request.app[SERVICES].metrics.render()
    return web.Response(body=body, content_type="text/plain", charset="utf-8")


async def _to_simulator(request: web.Request) -> web.Response:
    raise web.HTTPFound("/sim")


def create_app(settings: Settings | None = None) -> web.Application:
    """Build the web application; start-up opens the database and starts the loops."""
    settings = settings or Settings()
    app = web.Application(client_max_size=settings.max_upload_bytes + 1024 * 1024)
    app[SETTINGS] = settings
    app.cleanup_ctx.append(_services)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    if settings.process_role == "worker":
        return app
    app.router.add_get("/files/{sha}/{expires}/{sig}", serve_file)
    app.router.add_post("/webhook/line", line.webhook)
    app.router.add_post("/webhook/telegram", telegram.webhook)
    if settings.sim_on:
        sim.add_routes(app)
        app.router.add_get("/", _to_simulator)
    return app
