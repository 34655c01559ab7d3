"""Timed work (APScheduler 3): reminders, escalations and retries, calling the same services as chat."""
