"""Logging set-up: plain lines, tokens scrubbed, chatty HTTP loggers quietened."""

from __future__ import annotations

import logging
import re

# Bot API URLs carry the token: /bot123456:ABC.../sendMessage
_TOKEN = re.compile(r"bot\d+:[A-Za-z0-9_-]{20,}")


# Libraries whose INFO or DEBUG lines carry what our own logs never may: request URLs with the bot
# token (httpx), SQL with its parameters (tortoise, aiosqlite), every Bot API call with its chat id
# and text (python-telegram-bot). Held at WARNING even at LOG_LEVEL=DEBUG.
QUIET_LOGGERS = ("httpx", "httpcore", "aiosqlite", "tortoise", "apscheduler.executors.default", "telegram")


class TokenScrubber(logging.Filter):
    """Replace Telegram bot tokens in log records (as Home Assistant's telegram_bot does)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the message in place; never drops a record."""
        message = record.getMessage()
        if _TOKEN.search(message):
            record.msg, record.args = _TOKEN.sub("bot<token>", message), ()
        return True


def setup_logging(level: str = "INFO") -> None:
    """Configure the root logger once."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(TokenScrubber())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in QUIET_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
