"""Typed settings read from the environment or a `.env` file, with embedded defaults."""

from __future__ import annotations

import datetime as dt
import os
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TELEGRAM_PUBLIC_API = "https://api.telegram.org"
LINE_PUBLIC_API = "https://api.line.me"
LINE_PUBLIC_DATA_API = "https://api-data.line.me"


def parse_offsets(value: str, name: str = "REMINDER_OFFSETS_DAYS") -> tuple[int, ...]:
    """"30,14,7,3,1" -> (30, 14, 7, 3, 1): whole days before a deadline, largest first, each once."""
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if not parts or not all(p.isdigit() and p.isascii() for p in parts):
        raise ValueError(
            f"{name} must be whole numbers of days separated by commas, e.g. 30,14,7,3,1 (got {value!r})"
        )
    days = sorted({int(p) for p in parts}, reverse=True)
    if days[-1] < 1 or days[0] > 366:
        raise ValueError(f"{name} must be between 1 and 366 days before the deadline (got {value!r})")
    return tuple(days)


def parse_clock(value: str, name: str) -> dt.time:
    """"09:00" -> 09:00; anything but a 24-hour HH:MM (such as 25:00) is refused."""
    hours, sep, minutes = value.strip().partition(":")
    if sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and int(hours) < 24 and int(minutes) < 60:
        return dt.time(int(hours), int(minutes))
    raise ValueError(f"{name} must be a time of day as HH:MM between 00:00 and 23:59 (got {value!r})")


def parse_quiet_hours(value: str) -> tuple[dt.time, dt.time] | None:
    """"20:00-07:00" -> (20:00, 07:00), a span that may cross midnight; "" -> no quiet hours."""
    if not value.strip():
        return None
    start, sep, end = value.partition("-")
    if not sep:
        raise ValueError(f"QUIET_HOURS must be two times as HH:MM-HH:MM, e.g. 20:00-07:00 (got {value!r})")
    span = parse_clock(start, "QUIET_HOURS"), parse_clock(end, "QUIET_HOURS")
    if span[0] == span[1]:
        # Equal ends would mean the whole day (nothing could ever be sent) or nothing at all: say which.
        raise ValueError(
            f"QUIET_HOURS {value!r} covers the whole day, so no reminder could ever go out; "
            "set a shorter span, or an empty value for no quiet hours"
        )
    return span


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse_weekday(value: str, name: str = "DIGEST_WEEKDAY") -> int | None:
    """"mon" (or "monday") -> 0 … "sun" -> 6; "" -> None (no weekly digest)."""
    text = value.strip().lower()
    if not text:
        return None
    for number, day in enumerate(WEEKDAYS):
        if text in (day, day[:3]):
            return number
    raise ValueError(f"{name} must be a weekday such as mon, tue … sun, or empty for none (got {value!r})")


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    app_env: Literal["development", "production"] = Field(
        default="production", description="development: /sim is on even when a channel is configured"
    )
    data_dir: Path = Path("./data")
    database_url: str | None = None
    port: int = 8080
    host: str = "0.0.0.0"
    tz: str = "Asia/Bangkok"
    log_level: str = "INFO"
    public_base_url: str | None = Field(
        default=None, description="https URL where LINE and Telegram reach this service"
    )

    telegram_bot_token: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_api_base_url: str = TELEGRAM_PUBLIC_API
    telegram_mode: Literal["webhook", "polling"] = "webhook"

    line_channel_secret: str | None = None
    line_channel_access_token: str | None = None
    line_api_base_url: str = LINE_PUBLIC_API
    line_data_api_base_url: str = LINE_PUBLIC_DATA_API

    sim_enabled: bool | None = Field(
        default=None, description="serve /sim; default: on in development or when no channel is set"
    )
    sim_token: str | None = Field(
        default=None,
        description="lets other machines use /sim: header X-Sim-Token, or open /sim?token=… once; "
        "without it /sim answers only this machine",
    )
    demo_roster: bool = Field(
        default=False, description="load the fictional demo roster into an empty staff table"
    )
    metrics_token: str | None = Field(
        default=None, description="lets other machines read /metrics with Authorization: Bearer <token>"
    )
    process_role: Literal["all", "web", "worker"] = Field(
        default="all",
        description="all: one process does everything; web: answer webhooks and the simulator only; "
        "worker: handle stored events, OCR and schedules only (run several of each on PostgreSQL)",
    )
    migrate_on_start: bool = Field(
        default=True, description="apply migrations at start-up; turn off when several processes start at once"
    )
    worker_stale_seconds: float = Field(
        default=120.0, gt=0,
        description="/readyz fails when this process's event processor or scheduler has not turned for this long "
        "(the certificate reader gets OCR_READ_TIMEOUT_SECONDS more)",
    )
    ocr_workers: int | None = Field(default=None, description="certificate reader processes; default: CPU count")
    ocr_read_timeout_seconds: float = Field(
        default=120.0, gt=0, description="longest one certificate read may take; its worker is then replaced"
    )
    ocr_max_crashes: int = Field(
        default=3, ge=1,
        description="reads of one file that may kill or hang a worker before it is set aside as unreadable (file kept)",
    )
    file_link_secret: str | None = Field(
        default=None,
        description="signs links to certificate images; default: a key kept in DATA_DIR "
        "(set it when processes on several machines serve links)",
    )
    file_link_ttl_hours: float = Field(default=72.0, gt=0, description="how long a certificate image link works")
    # The retention sweeps use these; the privacy notice states them to every person.
    cert_image_retention_days: int = Field(
        default=365, ge=1, description="days a certificate image is kept after the decision; the record and hash stay"
    )
    event_retention_days: int = Field(
        default=30, ge=1, description="days processed inbound events and sent outgoing messages are kept"
    )
    file_store_url: str | None = Field(
        default=None,
        description="s3://bucket/prefix: keep stored files in an S3-compatible object store shared by every machine; "
        "default: DATA_DIR/files on the local disk",
    )
    s3_endpoint_url: str | None = Field(
        default=None, description="the object store's address for MinIO, Ceph and the like (unset: AWS)"
    )
    s3_region: str | None = Field(default=None, description="the object store's region (unset: AWS_REGION or us-east-1)")
    s3_access_key_id: str | None = Field(
        default=None, description="object store credentials (unset: the usual AWS_ACCESS_KEY_ID… chain)"
    )
    s3_secret_access_key: str | None = None
    file_encryption_key: str | None = Field(
        default=None,
        description="Fernet key(s), comma-separated: the first encrypts stored files, all decrypt "
        "(unset: files rest unencrypted)",
    )
    approval_sla_working_days: int = 3
    http_timeout_seconds: float = 10.0
    event_workers: int = 8
    event_poll_seconds: float | None = Field(
        default=None, gt=0, le=10,
        description="how often an idle event processor looks for stored events; default 1 s where this process "
        "stores them too (PROCESS_ROLE=all wakes it at once), 0.1 s in a worker process, which no webhook wakes",
    )
    max_upload_bytes: int = 20 * 1024 * 1024
    webhook_max_bytes: int = Field(
        default=1024 * 1024,
        description="largest LINE/Telegram webhook body read; larger ones get 413 before the signature check",
    )
    roster_max_bytes: int = Field(
        default=5 * 1024 * 1024,
        description="largest roster file (CSV/XLSX) an admin may send in chat; a 50,000-person roster is about 3 MB",
    )
    max_messages_per_minute: int = Field(
        default=60, ge=0, description="messages one chat user may send a minute before being asked to slow down (0: off)"
    )
    max_files_per_minute: int = Field(
        default=20, ge=0, description="files one chat user may send a minute; more are not downloaded (0: off)"
    )
    min_free_disk_mb: int = Field(
        default=500, ge=0, description="uploads are refused politely while DATA_DIR has less free space than this"
    )
    link_code_ttl_days: int = Field(default=28, ge=1, description="days a link code stays valid after it is issued")
    link_guesses_per_hour: int = Field(
        default=100, ge=1, description="wrong link codes accepted an hour across all chats; then every guess is refused"
    )
    line_reply_token_ttl_seconds: float = 25.0
    reminders_enabled: bool = Field(
        default=True,
        description="send reminders on the schedule (every few minutes and at start-up); "
        "`python -m bot reminders run` works either way",
    )
    reminder_offsets_days: str = Field(
        default="30,14,7,3,1",
        description="days before a round's submission deadline on which staff below target are reminded",
    )
    reminder_time: str = Field(default="09:00", description="local time (TZ) of day at which reminders are due, HH:MM")
    quiet_hours: str = Field(
        default="20:00-07:00",
        description="local span HH:MM-HH:MM in which nothing scheduled is sent; what falls due goes out when it ends "
        "(empty: none)",
    )

    digest_offsets_days: str = Field(
        default="7,3",
        description="days before a round's submission deadline on which supervisors get a digest of their team "
        "(a day off moves it to the next working day)",
    )
    digest_weekday: str = Field(
        default="mon", description="weekday of the supervisors' weekly digest while a round is open (empty: none)"
    )

    broadcast_telegram_rate: float = Field(
        default=30.0, gt=0, le=1000,
        description="Telegram messages a second a circular notice may use, chat replies included (Bot API: about 30)",
    )
    broadcast_line_rate: float = Field(
        default=200.0, gt=0, le=2000,
        description="LINE multicast requests a second (500 people each) a circular notice may use (LINE: 200)",
    )
    broadcast_chat_interval_seconds: float = Field(
        default=1.0, ge=0, le=10,
        description="seconds between two messages of a notice to one Telegram chat (Bot API: about one a second)",
    )

    @field_validator("file_store_url")
    @classmethod
    def _check_file_store_url(cls, value: str | None) -> str | None:
        if value and value.strip():
            scheme, _, rest = value.strip().partition("://")
            if scheme != "s3" or not rest.split("/", 1)[0]:
                raise ValueError(f"FILE_STORE_URL must look like s3://bucket/prefix (got {value!r})")
            return value.strip()
        return None

    @field_validator("file_encryption_key")
    @classmethod
    def _check_file_encryption_key(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        from cryptography.fernet import Fernet

        for key in (part.strip() for part in value.split(",")):
            try:
                Fernet(key.encode())
            except ValueError:
                # The message names no key material: it would end up in a log.
                raise ValueError(
                    "FILE_ENCRYPTION_KEY must be Fernet keys separated by commas; make one with "
                    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
                ) from None
        return value.strip()

    @field_validator("reminder_offsets_days")
    @classmethod
    def _check_offsets(cls, value: str) -> str:
        parse_offsets(value)
        return value

    @field_validator("reminder_time")
    @classmethod
    def _check_reminder_time(cls, value: str) -> str:
        parse_clock(value, "REMINDER_TIME")
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _check_quiet_hours(cls, value: str) -> str:
        parse_quiet_hours(value)
        return value

    @field_validator("digest_offsets_days")
    @classmethod
    def _check_digest_offsets(cls, value: str) -> str:
        parse_offsets(value, "DIGEST_OFFSETS_DAYS")
        return value

    @field_validator("digest_weekday")
    @classmethod
    def _check_digest_weekday(cls, value: str) -> str:
        parse_weekday(value)
        return value

    @property
    def digest_offsets(self) -> tuple[int, ...]:
        """Supervisors' digest offsets in days before a deadline, largest first."""
        return parse_offsets(self.digest_offsets_days, "DIGEST_OFFSETS_DAYS")

    @property
    def digest_day(self) -> int | None:
        """The weekday (Monday 0) of the weekly digest, or None for none."""
        return parse_weekday(self.digest_weekday)

    @property
    def reminder_offsets(self) -> tuple[int, ...]:
        """Reminder offsets in days before a deadline, largest first."""
        return parse_offsets(self.reminder_offsets_days)

    @property
    def reminder_clock(self) -> dt.time:
        """The local time of day reminders are due."""
        return parse_clock(self.reminder_time, "REMINDER_TIME")

    @property
    def quiet_span(self) -> tuple[dt.time, dt.time] | None:
        """Quiet hours as (start, end) local times, or None."""
        return parse_quiet_hours(self.quiet_hours)

    @cached_property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite://{(self.data_dir / 'bot.sqlite3').resolve()}"

    @property
    def telegram_enabled(self) -> bool:
        """Telegram is on only when a bot token is configured."""
        return bool(self.telegram_bot_token)

    @property
    def line_enabled(self) -> bool:
        """LINE is on only when both the secret and the access token are configured."""
        return bool(self.line_channel_secret and self.line_channel_access_token)

    @property
    def sim_on(self) -> bool:
        """Whether the web simulator is served."""
        if self.sim_enabled is not None:
            return self.sim_enabled
        return self.app_env == "development" or not (self.telegram_enabled or self.line_enabled)

    @property
    def demo_roster_on(self) -> bool:
        """Whether an empty database gets the fictional demo roster (only when asked for)."""
        return self.demo_roster

    @property
    def telegram_bot_url(self) -> str:
        """Root of Bot API method calls, without the token (PTB appends it)."""
        return self.telegram_api_base_url.rstrip("/") + "/bot"

    @property
    def telegram_file_url(self) -> str:
        """Root of Bot API file downloads, without the token (PTB appends it)."""
        return self.telegram_api_base_url.rstrip("/") + "/file/bot"

    def apply_timezone(self) -> None:
        """Export TZ so that logs and naive local times use the agency's zone."""
        os.environ["TZ"] = self.tz
