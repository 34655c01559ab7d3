"""The made-up channel secrets and tokens the test app and the platform fakes agree on."""

from __future__ import annotations

LINE_SECRET = "test-line-channel-secret"
LINE_TOKEN = "test-line-access-token"
TELEGRAM_TOKEN = "123456789:TEST-telegram-token-abcdefghijkl"
TELEGRAM_SECRET = "test-telegram-webhook-secret_1"
