"""Test suite: end-to-end through the real webhooks into fakes of the LINE and Telegram APIs."""
