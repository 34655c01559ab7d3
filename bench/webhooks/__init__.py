"""Webhook throughput and time-to-200, against a bare aiohttp app in the same run."""
