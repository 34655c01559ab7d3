"""Seed a large agency in PostgreSQL and time progress, the team view and the full report.

Usage (from the repository root; scripts/bench-progress starts PostgreSQL):
    .venv/bin/python -m bench.progress.run [--postgres-url URL] [--staff 100000]
        [--submissions 1000000] [--samples 200] [--reuse]

It creates its own database `bot_bench_progress` next to the given URL (never
the test databases), applies the migrations, loads a unit tree (agency >
divisions > groups > sections), staff in sections of one head and 50 members,
and certificates over three fiscal years with COPY, then calls the real
handlers and report code and prints p50/p95 and the report time.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from types import SimpleNamespace
from pathlib import Path
from typing import Any

import asyncpg

from fiscal.calendar import BANGKOK, fiscal_year, fiscal_year_of, today_bangkok

DATABASE = "bot_bench_progress"
SECTION_SIZE = 51  # a head and the 50 people of the team view
GROUPS = ("แรกบรรจุ", "มีประสบการณ์", "หัวหน้างาน", "อำนวยการ", "บริหาร")
STATUSES = (("approved", 85), ("rejected", 7), ("confirmed", 5), ("read", 3))
HOURS = (Decimal(1), Decimal(2), Decimal(3), Decimal(6), Decimal(12), Decimal(18))
GOALS = {"team_p95_ms": 200.0, "progress_p95_ms": 50.0, "report_s": 30.0, "reminders_decide_s": 20.0}


def _database_url(url: str, name: str = DATABASE) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


async def create_database(url: str, name: str = DATABASE) -> str:
    """Drop and create a bench database (`name`, a fixed identifier) on that server; returns its URL."""
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    return _database_url(url, name)


def _units(staff_count: int) -> tuple[list[tuple[int, str, int | None]], list[int]]:
    """Agency > 20 divisions > groups > sections; returns rows and the section ids in order."""
    sections_needed = -(-staff_count // SECTION_SIZE)
    rows: list[tuple[int, str, int | None]] = [(1, "สำนักงานเขตพื้นที่ทดสอบ", None)]
    sections: list[int] = []
    next_id = 2
    divisions, groups_per_division = 20, 10
    per_group = -(-sections_needed // (divisions * groups_per_division))
    for d in range(divisions):
        division = next_id
        rows.append((division, f"สำนัก {d + 1}", 1))
        next_id += 1
        for g in range(groups_per_division):
            group = next_id
            rows.append((group, f"กลุ่มงาน {d + 1}.{g + 1}", division))
            next_id += 1
            for s in range(per_group):
                if len(sections) == sections_needed:
                    break
                rows.append((next_id, f"ฝ่าย {d + 1}.{g + 1}.{s + 1}", group))
                sections.append(next_id)
                next_id += 1
    return rows, sections


async def seed(url: str, staff_count: int, submission_count: int, rng: random.Random) -> None:
    """Load units, staff, certificates, agreed courses and targets with COPY."""
    from storage.db import close_db, open_db
    from storage.seed import seed_courses

    await open_db(url)
    await seed_courses()
    await close_db()

    now = dt.datetime.now(dt.UTC)
    conn = await asyncpg.connect(url)
    try:
        unit_rows, sections = _units(staff_count)
        await conn.copy_records_to_table("unit", records=unit_rows, columns=["id", "name", "parent_id"])
        staff_rows = []
        heads: dict[int, int] = {}
        for i in range(staff_count):
            sid = i + 1
            section = sections[i // SECTION_SIZE]
            head = i % SECTION_SIZE == 0
            if head:
                heads[section] = sid
            staff_rows.append(
                (
                    sid, f"B{sid:06d}", "นาย" if sid % 2 else "นาง", f"ชื่อ{sid}", f"สกุล{sid}", "นักวิชาการ", "",
                    "หัวหน้างาน" if head else GROUPS[rng.randrange(5)], head, sid == 1, True, now, now,
                    None if head else heads[section], section, False,
                )
            )
        await conn.copy_records_to_table(
            "staff",
            records=staff_rows,
            columns=[
                "id", "employee_code", "title", "first_name", "last_name", "position", "personnel_type",
                "target_group", "is_supervisor", "is_admin", "active", "created_at", "updated_at",
                "supervisor_id", "unit_id", "is_demo",
            ],
        )
        supervisor_of = {r[0]: r[13] for r in staff_rows}
        courses = [r["id"] for r in await conn.fetch("SELECT id FROM course ORDER BY id")]
        today = today_bangkok()
        first_day = fiscal_year(fiscal_year_of(today) - 2).start
        span = (today - first_day).days + 1
        weights = [w for _, w in STATUSES]
        names = [s for s, _ in STATUSES]
        columns = [
            "id", "staff_id", "status", "channel", "chat", "file_sha256", "file_size", "course_title", "course_id",
            "kind", "hours", "completed_on", "issuers", "field_confidence", "warnings", "created_at", "updated_at",
            "escalations", "decided_at", "decided_by_id",
        ]
        batch = 200_000
        for start in range(0, submission_count, batch):
            records = []
            statuses = rng.choices(names, weights, k=min(batch, submission_count - start))
            for offset, status in enumerate(statuses):
                n = start + offset + 1
                staff_id = rng.randrange(1, staff_count + 1)
                course = courses[rng.randrange(len(courses))] if rng.random() < 0.7 else None
                decided = status in ("approved", "rejected")
                records.append(
                    (
                        n, staff_id, status, "line", f"U{staff_id}", f"{n:064x}", 1000,
                        f"หลักสูตร {n % 997}", course, "course", HOURS[rng.randrange(len(HOURS))],
                        first_day + dt.timedelta(days=rng.randrange(span)), "[]", "{}", "[]", now, now, 0,
                        now if decided else None, (supervisor_of[staff_id] or 1) if decided else None,
                    )
                )
            await conn.copy_records_to_table("submission", records=records, columns=columns)
        fy = fiscal_year_of(today)
        required = []
        for sid in rng.sample(range(1, staff_count + 1), staff_count // 10):
            for course in rng.sample(courses, 2):
                required.append((len(required) + 1, sid, course, fy, supervisor_of[sid], now))
        await conn.copy_records_to_table(
            "required_course", records=required,
            columns=["id", "staff_id", "course_id", "fiscal_year", "assigned_by_id", "created_at"],
        )
        for table in ("unit", "staff", "submission", "required_course"):
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        await conn.execute(
            "INSERT INTO target (fiscal_year, target_group, round, min_courses, min_hours, hours_per_day, require, updated_at) "
            "VALUES ($1, '', 0, 3, 60, 6, 'either', now()), ($1, 'แรกบรรจุ', 0, 4, 60, 6, 'both', now())",
            fy,
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


def _turn(person: Any, text: str) -> Any:
    from bot.channels.sim import SimChannel
    from bot.events import Incoming
    from bot.sending import Sending
    from bot.turn import ConversationStep, Turn
    from config.settings import Settings

    incoming = Incoming(event_id="bench", channel="sim", user="bench", chat="bench", kind="text", text=text)
    out = Sending({"sim": SimChannel.capabilities})
    return Turn(incoming=incoming, person=person, state=ConversationStep(), settings=Settings(_env_file=None), out=out)


def _replies(turn: Any) -> list[Any]:
    return turn.out.pending(turn.chat)


class _NoDelivery:
    """The bench queues reminders but delivers nothing."""

    def send_soon_many(self, message_ids: list[int]) -> None:
        pass

    async def drain(self, timeout: float = 10.0) -> None:
        pass


async def measure_reminders(url: str) -> dict[str, float]:
    """Decide and queue one day's deadline reminders for everyone (every staff member linked once)."""
    from bot.channels.sim import SimChannel
    from bot.sending import Notifier
    from config.settings import Settings
    from fiscal.calendar import round_of
    from scheduler.digests import send_digests
    from scheduler.reminders import STAFF_KIND, Schedule, due_reminders, send_reminders
    from storage.db import close_db, open_db
    from storage.models import ChatIdentity, OutboxMessage, ReminderSent, Staff
    from storage.targets import round_deadline

    await open_db(url, run_migrations=True)  # the reminder tables, on a database seeded before they existed
    try:
        if not await ChatIdentity.exists():
            ids = await Staff.filter(active=True).values_list("id", flat=True)
            conn = await asyncpg.connect(url)
            try:
                await conn.copy_records_to_table(
                    "chat_identity",
                    records=[("sim", f"bench-{i}", i, dt.datetime.now(dt.UTC)) for i in ids],
                    columns=["channel", "platform_user_id", "staff_id", "linked_at"],
                )
            finally:
                await conn.close()
        settings = Settings(_env_file=None)
        schedule = Schedule.from_settings(settings)
        period = round_of(today_bangkok())
        deadline = await round_deadline(period.fiscal_year, period.round or 1)
        at = schedule.moment(deadline - dt.timedelta(days=7))  # the 7-day reminder's moment
        await ReminderSent.filter(kind=STAFF_KIND).delete()
        started = time.perf_counter()
        due = await due_reminders(at, schedule)
        decide_s = time.perf_counter() - started

        services = SimpleNamespace(
            settings=settings, notifier=Notifier({"sim": SimChannel.capabilities}, _NoDelivery())  # type: ignore[arg-type]
        )
        staff_total = await Staff.filter(active=True).count()
        started = time.perf_counter()
        queued = await send_reminders(services, at)  # type: ignore[arg-type]
        queue_s = time.perf_counter() - started
        # Supervisors' digests at the same moment (a digest offset when it falls on a working day).
        await ReminderSent.filter(kind__in=("digest", "digest_week")).delete()
        started = time.perf_counter()
        digests = await send_digests(services, at)  # type: ignore[arg-type]
        digest_s = time.perf_counter() - started
        # Leave the database as it was, so that --reuse measures the same again.
        await OutboxMessage.filter(chat__startswith="bench-").delete()
        await ReminderSent.filter(kind__in=(STAFF_KIND, "digest", "digest_week")).delete()
    finally:
        await close_db()
    print(
        f"reminders at {at:%Y-%m-%d %H:%M} (7 days before the {deadline} deadline), {staff_total:,} linked staff: "
        f"decided {len(due):,} due in {decide_s:.1f} s (goal <= 20 s); deciding again and queueing "
        f"{queued:,} took {queue_s:.1f} s; supervisors' digests: {digests:,} decided and queued in {digest_s:.1f} s"
    )
    return {"reminders_decide_s": decide_s}


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


async def measure(url: str, samples: int, rng: random.Random) -> dict[str, float]:
    """Time the real handlers and the report on the seeded database."""
    from handlers.progress import progress, team
    from reports.files import build
    from storage.db import close_db, open_db
    from storage.models import Staff, Submission

    await open_db(url, run_migrations=False)
    try:
        staff_total = await Staff.all().count()
        print(f"database: {staff_total:,} staff, {await Submission.all().count():,} submissions")
        ids = rng.sample(range(1, staff_total + 1), samples)
        people = {s.id: s for s in await Staff.filter(id__in=ids)}
        progress_ms = []
        for sid in ids:
            turn = _turn(people[sid], "ความก้าวหน้า")
            started = time.perf_counter()
            await progress(turn)
            progress_ms.append((time.perf_counter() - started) * 1000)
            assert "ความก้าวหน้า" in (_replies(turn)[0].title or "")
        heads = await Staff.filter(is_supervisor=True).order_by("id").limit(samples)
        team_ms, team_sizes = [], []
        for head in rng.sample(list(heads), min(samples, len(heads))):
            turn = _turn(head, "ทีมของฉัน")
            started = time.perf_counter()
            await team(turn)
            team_ms.append((time.perf_counter() - started) * 1000)
            team_sizes.append(_replies(turn)[0].text.count("\n") - 1)
        report_fy = fiscal_year_of(today_bangkok()) - 1  # the last closed year, which HR reports in December
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / f"report-{report_fy}.xlsx"
            started = time.perf_counter()
            report, _ = await build(report_fy, None, out)
            report_s = time.perf_counter() - started
            size_mb = out.stat().st_size / 1e6
    finally:
        await close_db()
    p50, p95 = _percentiles(progress_ms)
    t50, t95 = _percentiles(team_ms)
    print(f"progress answer, one person ({len(progress_ms)} people): p50 {p50:.1f} ms, p95 {p95:.1f} ms (goal p95 <= 50 ms)")
    print(
        f"team view ({len(team_ms)} supervisors, {min(team_sizes)}-{max(team_sizes)} people): "
        f"p50 {t50:.1f} ms, p95 {t95:.1f} ms (goal p95 <= 200 ms)"
    )
    print(
        f"agency report FY {report_fy} to xlsx: {report_s:.1f} s (goal <= 30 s): {report.total.staff:,} staff, "
        f"{len(report.certificates):,} approved certificates, {size_mb:.1f} MB"
    )
    return {"progress_p95_ms": p95, "team_p95_ms": t95, "report_s": report_s}


async def main_async(args: argparse.Namespace) -> int:
    """Seed (unless --reuse) and measure."""
    from storage.db import migrate_schema

    rng = random.Random(20261125)
    url = _database_url(args.postgres_url)
    if not args.reuse:
        started = time.perf_counter()
        url = await create_database(args.postgres_url)
        await migrate_schema(url)
        await seed(url, args.staff, args.submissions, rng)
        print(f"seeded {args.staff:,} staff and {args.submissions:,} submissions in {time.perf_counter() - started:.0f} s")
    figures = await measure(url, args.samples, rng)
    figures |= await measure_reminders(url)
    missed = [k for k, goal in GOALS.items() if figures[k] > goal]
    print("all goals met" if not missed else f"goals missed: {', '.join(missed)}")
    return 0 if not missed else 1


def main() -> int:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(prog="python -m bench.progress.run", description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_POSTGRES_URL"), help="any database on the server")
    parser.add_argument("--staff", type=int, default=100_000)
    parser.add_argument("--submissions", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--reuse", action="store_true", help="measure the database seeded by an earlier run")
    args = parser.parse_args()
    if not args.postgres_url:
        parser.error("give --postgres-url or set TEST_POSTGRES_URL")
    # Dates in the bench are Bangkok dates, as in the service.
    os.environ.setdefault("TZ", str(BANGKOK))
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
