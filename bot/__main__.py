"""Command-line entry: `python -m bot [serve|migrate|backup|restore|import-roster|link-codes|set-webhooks|line-menus|audit|extract|targets|report|reminders|broadcast|retention|access-log|rotate-file-key]`."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from config.settings import Settings

if TYPE_CHECKING:
    from bot.channels.line import LineChannel
    from bot.channels.telegram import TelegramChannel

# Each command imports what it uses inside its function: `extract` or `audit` should not
# pay for loading the web service, the channel SDKs and the scheduler (seconds on a small
# machine). None of these imports works around an import cycle; the layer rules in
# `.importlinter` hold either way.
logger = logging.getLogger("bot")


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run one command."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="OCSC self-development bot")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the web service (default)")
    sub.add_parser("migrate", help="apply pending database migrations and print which")
    p = sub.add_parser("backup", help="copy the database and stored files into a new folder while the service runs")
    p.add_argument("--out", type=Path, required=True, help="a new (or empty) folder for this backup")
    p = sub.add_parser("restore", help="restore a backup into an empty data directory and an empty database")
    p.add_argument("folder", type=Path, help="a folder `backup` wrote")
    p = sub.add_parser("import-roster", help="import staff from CSV or XLSX")
    p.add_argument("file", type=Path)
    p = sub.add_parser("link-codes", help="issue one-time link codes")
    p.add_argument("--out", type=Path, required=True, help="CSV to write employee_code,link_code")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--all", action="store_true", help="re-issue for every active staff member")
    who.add_argument("--employee", nargs="+", metavar="CODE", help="only these employee codes")
    sub.add_parser("set-webhooks", help="register webhook URLs with LINE and Telegram")
    sub.add_parser(
        "line-menus",
        help="create the LINE rich menus and link every LINE user to theirs; set every Telegram chat's command menu",
    )
    p = sub.add_parser("person", help="PDPA: export or erase everything held about one person")
    p.add_argument("action", choices=("export", "erase"))
    p.add_argument("employee_code")
    p.add_argument("--out", type=Path, help="zip file for export")
    p.add_argument("--yes", action="store_true", help="confirm erasure")
    p = sub.add_parser("access-log", help="PDPA: who opened one person's certificate images or records")
    p.add_argument("employee_code")
    p = sub.add_parser("retention", help="PDPA: the retention periods and what the next sweep would delete")
    p.add_argument("--run", action="store_true", help="sweep now instead of only counting")
    p = sub.add_parser("events", help="list the events the service gave up on, or queue one again")
    p.add_argument("action", choices=("failed", "retry"))
    p.add_argument("event_ids", nargs="*", type=int, help="for retry: the ids `events failed` lists")
    p.add_argument("--all", action="store_true", help="for retry: every failed event")
    p = sub.add_parser("audit", help="print the history of one submission")
    p.add_argument("submission_id", type=int)
    p = sub.add_parser("extract", help="read certificate files and print their fields")
    p.add_argument("files", nargs="+")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--trace", action="store_true", help="also print each repair that changed a line")
    _target_commands(sub)
    p = sub.add_parser("report", help="write the yearly development report (XLSX, or CSV by the file name)")
    p.add_argument("--fy", type=int, required=True, help="fiscal year, BE (e.g. 2570)")
    p.add_argument("--round", type=int, choices=(1, 2), help="only this assessment round")
    p.add_argument("--out", type=Path, required=True, help="report.xlsx or report.csv")
    _reminder_commands(sub)
    _notice_commands(sub)
    _broadcast_command(sub)
    sub.add_parser(
        "rotate-file-key",
        help="re-encrypt every stored file under FILE_ENCRYPTION_KEY's first key (the service keeps running)",
    )
    args = parser.parse_args(argv)
    if args.command == "targets" and not args.targets_command:
        parser.parse_args(["targets", "--help"])
    if args.command == "reminders" and not args.reminders_command:
        parser.parse_args(["reminders", "--help"])

    from pydantic import ValidationError

    from bot.logging_setup import setup_logging

    try:
        settings = Settings()
    except ValidationError as exc:
        # Refuse to start on bad configuration, saying which setting and why (no traceback).
        for error in exc.errors():
            print(f"configuration error: {error['msg'].removeprefix('Value error, ')}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level)
    settings.apply_timezone()
    command = args.command or "serve"
    if command == "serve":
        return serve(settings)
    if command == "extract":
        from certificates.cli import extract_main

        return extract_main(args.files, as_json=args.json, trace=args.trace)
    if command in ("backup", "restore"):
        # Neither migrates nor seeds: a backup is what an operator takes before an upgrade.
        return asyncio.run(_backup_or_restore(settings, args))
    if command == "rotate-file-key":
        return asyncio.run(_rotate_file_key(settings))
    return asyncio.run(_with_db(settings, command, args))


def serve(settings: Settings) -> int:
    """Run the web service until interrupted."""
    from aiohttp import web

    from bot.access_log import RedactingAccessLogger
    from bot.app import create_app

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.sim_on:
        logger.info("simulator: http://localhost:%d/sim", settings.port)
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        print=None,
        access_log_class=RedactingAccessLogger,
        loop=_event_loop(),
    )
    return 0


def _event_loop() -> asyncio.AbstractEventLoop:
    """uvloop where available (about twice the request rate of the default loop), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


async def _rotate_file_key(settings: Settings) -> int:
    """Re-encrypt the file store under the first key; needs no database."""
    from storage.file_key_rotation import rotate_file_key
    from storage.files import file_store

    store = file_store(settings)
    if store.cipher is None:
        print("set FILE_ENCRYPTION_KEY (new key first, then the old ones, comma-separated)", file=sys.stderr)
        return 2
    try:
        print(f"stored files: {store.describe()}")
        report = await rotate_file_key(store)
    finally:
        await store.close()
    print(
        f"{report.rotated} file(s) re-encrypted under the first key, {report.sealed} plaintext file(s) encrypted, "
        f"{report.current} already under it"
    )
    for name in report.unreadable:
        print(f"no key opens {name}: it stays as it is", file=sys.stderr)
    for name in report.changing:
        print(f"{name} changed during every attempt: run the command again", file=sys.stderr)
    if report.unreadable or report.changing:
        return 1
    print("every stored file is under the first key: the other keys may now be removed from FILE_ENCRYPTION_KEY")
    return 0


async def _with_db(settings: Settings, command: str, args: argparse.Namespace) -> int:
    from storage.db import close_db, open_db
    from storage.seed import seed_courses

    from storage.db import migrate_schema, migrations_on_disk

    applied = await migrate_schema(settings.resolved_database_url)
    await open_db(settings.resolved_database_url, run_migrations=False)
    try:
        await seed_courses()
        if command == "migrate":
            for name in applied:
                print(f"applied: {name}")
            latest = migrations_on_disk()[-1]
            print(f"database is up to date (latest migration: {latest}; {len(applied)} applied now)")
            return 0
        if command == "import-roster":
            return await _import_roster(args.file)
        if command == "link-codes":
            return await _link_codes(args.out, reissue_all=args.all, employees=args.employee)
        if command == "set-webhooks":
            return await _set_webhooks(settings)
        if command == "line-menus":
            return await _line_menus(settings)
        if command == "audit":
            return await _audit(args.submission_id)
        if command == "events":
            return await _events(args)
        if command == "retention":
            return await _retention(settings, run=args.run)
        if command == "person":
            return await _person(settings, args)
        if command == "access-log":
            return await _access_log(args.employee_code)
        if command == "targets":
            return await _targets(args)
        if command == "report":
            return await _report(args.fy, args.round, args.out)
        if command == "reminders":
            return await _reminders(settings, args)
        if command == "notices":
            return await _notices_table()
        if command == "notice":
            return await _notice_detail(args.notice_id, args.out)
        if command == "broadcast":
            return await _broadcast(settings, args)
    finally:
        await close_db()
    return 2


async def _backup_or_restore(settings: Settings, args: argparse.Namespace) -> int:
    from storage import backups

    from storage.files import file_store

    url, data_dir = settings.resolved_database_url, settings.data_dir
    store = file_store(settings)
    try:
        if args.command == "backup":
            manifest = await backups.backup(url, data_dir, args.out, store)
            print(
                f"backup written to {args.out}: {manifest.database} database at migration "
                f"{manifest.migration or '-'}, {len(manifest.files)} stored file(s)"
            )
            print("it holds personal data and the link-signing key: keep it as safe as the data directory")
            return 0
        manifest = await backups.restore(args.folder, url, data_dir, store)
    except backups.BackupError as exc:
        print(f"{args.command} refused: {exc}", file=sys.stderr)
        return 1
    finally:
        await store.close()
    print(
        f"restored the backup of {manifest.created_at} ({manifest.database}, migration {manifest.migration or '-'}, "
        f"{len(manifest.files)} stored file(s)) into {data_dir}"
    )
    print("start the service (or run `python -m bot migrate`) to bring the schema up to this version")
    return 0


async def _import_roster(path: Path) -> int:
    from storage import roster

    try:
        table = roster.read_table(path.read_bytes(), path.name)
    except (OSError, roster.RosterError) as exc:
        print(f"cannot read {path}: {exc}", file=sys.stderr)
        return 2
    rows, errors = roster.parse(table)
    result = await roster.import_roster(rows, errors)
    if not result.ok:
        print(f"{len(result.errors)} error(s); nothing was imported:", file=sys.stderr)
        for line in result.errors:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(f"imported: {result.created} created, {result.updated} updated")
    return 0


async def _link_codes(out: Path, *, reissue_all: bool, employees: list[str] | None) -> int:
    from reports.safe_cells import SafeCsvWriter
    from storage import link_codes
    from storage.models import ChatIdentity, Staff
    from storage.private_files import private_output

    query = Staff.filter(active=True)
    if employees:
        query = query.filter(employee_code__in=employees)
    elif not reissue_all:
        linked = await ChatIdentity.exclude(channel="sim").values_list("staff_id", flat=True)
        query = query.exclude(id__in=list(linked))
    staff = await query.order_by("employee_code")
    issued = await link_codes.issue(staff)
    with private_output(out, "w", newline="", encoding="utf-8") as fh:
        writer = SafeCsvWriter(fh)
        writer.writerow(["employee_code", "link_code"])
        writer.writerows(issued)
    print(f"{len(issued)} link codes written to {out} (earlier unused codes of these people are revoked)")
    return 0


async def _person(settings: Settings, args: argparse.Namespace) -> int:
    from reports.files import chat_reports_dir
    from storage.files import file_store
    from storage.models import Staff
    from storage.personal_data import erase_person, export_person
    from storage.private_files import private_output

    staff = await Staff.get_or_none(employee_code=args.employee_code)
    if staff is None:
        print(f"no staff member {args.employee_code}", file=sys.stderr)
        return 1
    if args.action == "erase" and not args.yes:
        print("erasure cannot be undone: add --yes", file=sys.stderr)
        return 2
    files = file_store(settings)
    try:
        if args.action == "export":
            out = args.out or Path(f"{args.employee_code}-export.zip")
            data = await export_person(staff, files)
            with private_output(out, "wb") as fh:
                fh.write(data)
            print(f"exported to {out}")
            return 0
        report = await erase_person(staff, files, chat_reports_dir(settings.data_dir))
    finally:
        await files.close()
    print(
        f"erased: {report.submissions} submissions, {report.files} files, {report.identities} chat links, "
        f"{report.events} inbound events, {report.outbox_messages} outgoing messages, "
        f"{report.conversations} conversations, {report.required_courses} required courses, "
        f"{report.delegations} delegations, {report.audit_records_scrubbed} audit records scrubbed, "
        f"{report.report_files} cached report files, {report.orphaned_files} orphaned uploads, "
        f"{report.access_entries} access-log entries about them ({report.access_entries_anonymised} of theirs anonymised), "
        f"{report.reminders} reminder records"
    )
    print(
        f"kept without name, chat or image (past reports count them): {report.submissions_kept} approved "
        f"submissions, {report.notice_receipts} notice receipts"
    )
    return 0


async def _retention(settings: Settings, *, run: bool) -> int:
    """Print each retention period and what the sweep removes: would remove, or (with --run) removed."""
    from scheduler.retention import SWEEP_HOUR, SWEEP_MINUTE, periods_of
    from storage import retention
    from storage.files import FileStore

    periods = periods_of(settings)
    print(
        f"certificate images: kept {periods.cert_image_days} days after the decision (CERT_IMAGE_RETENTION_DAYS); "
        "the record, its fields and the file hash stay"
    )
    print(
        f"processed raw events and sent messages: kept {periods.event_days} days (EVENT_RETENTION_DAYS); "
        "pending and failed ones stay"
    )
    counts = await retention.sweep(FileStore(settings.data_dir / "files"), periods, dry_run=not run)
    nightly = f"nightly at {SWEEP_HOUR:02d}:{SWEEP_MINUTE:02d} {settings.tz}"
    print("removed now:" if run else f"the next sweep ({nightly}) would remove:")
    print(f"  certificate images: {counts.images} submissions, {counts.files} stored files")
    print(f"  processed raw events: {counts.events}")
    print(f"  sent messages: {counts.messages} deleted, {counts.messages_blanked} emptied (open approval prompts)")
    return 0


async def _access_log(employee_code: str) -> int:
    """Who opened the person's certificate images or records, oldest first (times in Asia/Bangkok, ISO)."""
    from fiscal.calendar import BANGKOK
    from storage.models import Staff
    from storage.who_looked import views_of

    staff = await Staff.get_or_none(employee_code=employee_code)
    if staff is None:
        print(f"no staff member {employee_code}", file=sys.stderr)
        return 1
    entries = await views_of(staff.id)
    print(f"{'when (Asia/Bangkok)':<20} {'what':<7} {'submission':>10}  {'channel':<9} viewer")
    for entry in entries:
        viewer = f"{entry.viewer.employee_code} {entry.viewer.display_name}" if entry.viewer else "(erased)"
        submission = str(entry.submission_id) if entry.submission_id is not None else "-"
        print(
            f"{entry.at.astimezone(BANGKOK):%Y-%m-%d %H:%M:%S}  {entry.what:<7} {submission:>10}  "
            f"{entry.channel or '-':<9} {viewer}"
        )
    print(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}")
    return 0


async def _events(args: argparse.Namespace) -> int:
    """`events failed`: the dead letters, without their content; `events retry ID...`: queue them again."""
    from fiscal.calendar import BANGKOK
    from storage import inbox

    if args.action == "failed":
        rows = await inbox.failed_events()
        print(f"{'id':>8}  {'channel':<9} {'received (Asia/Bangkok)':<24} {'attempts':>8}  error")
        for row in rows:
            received = dt.datetime.fromtimestamp(row.received_at, BANGKOK)
            print(f"{row.id:>8}  {row.channel:<9} {received:%Y-%m-%d %H:%M:%S}      {row.attempts:>8}  {row.error or '-'}")
        print(f"{len(rows)} failed event(s)")
        return 0
    ids = [row.id for row in await inbox.failed_events(limit=100_000)] if args.all else args.event_ids
    if not ids:
        print("name the event ids to retry, or --all", file=sys.stderr)
        return 2
    queued = [i for i in ids if await inbox.retry(i)]
    for missing in sorted(set(ids) - set(queued)):
        print(f"event {missing} is not a failed event", file=sys.stderr)
    print(f"{len(queued)} event(s) queued again; the running service handles them within seconds")
    return 0 if len(queued) == len(ids) else 1


async def _audit(submission_id: int) -> int:
    from fiscal.calendar import BANGKOK
    from storage.audit import history
    from storage.models import Staff, Submission

    submission = await Submission.get_or_none(id=submission_id)
    records = await history(submission_id)
    if submission is None and not records:
        print(f"no submission {submission_id}", file=sys.stderr)
        return 1
    actors = {s.id: s.employee_code for s in await Staff.filter(id__in=[r.actor_id for r in records if r.actor_id])}
    if submission:
        print(f"submission {submission_id}: status {submission.status}")
    print(f"{'when (Asia/Bangkok)':<20} {'action':<11} {'from -> to':<22} {'by':<10} {'channel':<9} detail")
    for r in records:
        change = f"{r.from_state or '-'} -> {r.to_state or '-'}"
        who = actors.get(r.actor_id, "system") if r.actor_id else "system"
        detail = " ".join(f"{k}={v}" for k, v in (r.detail or {}).items())
        print(f"{r.at.astimezone(BANGKOK):%Y-%m-%d %H:%M:%S}  {r.action:<11} {change:<22} {who:<10} {r.channel or '-':<9} {detail}")
    return 0


def _target_commands(sub: argparse._SubParsersAction) -> None:
    """`targets set|list|deadline`: the yearly targets and round deadlines, stored in the database."""
    targets = sub.add_parser("targets", help="set or list development targets and round deadlines")
    verbs = targets.add_subparsers(dest="targets_command")
    p = verbs.add_parser("set", help="create or replace a target")
    p.add_argument("--fy", type=int, required=True, help="fiscal year, BE (e.g. 2570)")
    p.add_argument("--group", default="", help="only this target group (default: everyone)")
    p.add_argument("--round", type=int, choices=(1, 2), default=0, help="only this round (default: the year)")
    p.add_argument("--courses", type=int, help="minimum number of courses")
    amount = p.add_mutually_exclusive_group()
    amount.add_argument("--hours", type=Decimal, help="minimum hours")
    amount.add_argument("--days", type=Decimal, help="minimum days (times --hours-per-day)")
    p.add_argument("--hours-per-day", type=Decimal, default=Decimal(6), help="hours in a development day (6)")
    p.add_argument("--require", choices=("both", "either"), default="either", help="both parts or either (either)")
    p = verbs.add_parser("list", help="print stored targets")
    p.add_argument("--fy", type=int, help="only this fiscal year")
    p = verbs.add_parser("deadline", help="set a round's submission deadline")
    p.add_argument("--fy", type=int, required=True)
    p.add_argument("--round", type=int, choices=(1, 2), required=True)
    p.add_argument("--date", type=date.fromisoformat, required=True, help="YYYY-MM-DD (CE)")


def _goal_line(goal: Any) -> str:
    scope = f"group={goal.target_group or '*'} round={goal.round or 'year'}"
    days = f" ({goal.hours_as_days(goal.min_hours)} days of {goal.hours_per_day} h)" if goal.min_hours else ""
    return (
        f"FY {goal.fiscal_year} {scope}: courses>={goal.min_courses or '-'} {goal.require} "
        f"hours>={goal.min_hours or '-'}{days}"
    )


async def _targets(args: argparse.Namespace) -> int:
    from fiscal.calendar import assessment_round
    from storage import targets

    if args.targets_command == "set":
        hours = args.hours if args.hours is not None else args.days * args.hours_per_day if args.days else None
        try:
            goal = await targets.set_target(
                args.fy, target_group=args.group, round_number=args.round, min_courses=args.courses,
                min_hours=hours, hours_per_day=args.hours_per_day, require=args.require,
            )
        except ValueError as exc:
            print(f"cannot set the target: {exc}", file=sys.stderr)
            return 2
        print("saved:", _goal_line(goal))
        return 0
    if args.targets_command == "deadline":
        period = assessment_round(args.fy, args.round)
        if not period.contains(args.date):
            print(f"the date must fall in round {args.round}: {period.start} to {period.end}", file=sys.stderr)
            return 2
        await targets.set_round_deadline(args.fy, args.round, args.date)
        print(f"FY {args.fy} round {args.round} deadline: {args.date}")
        return 0
    goals = await targets.list_targets(args.fy)
    for goal in goals:
        print(_goal_line(goal))
    if not goals:
        from fiscal.calendar import fiscal_year_of, today_bangkok

        fy = args.fy or fiscal_year_of(today_bangkok())
        print("no targets stored; the default applies:", _goal_line(targets.default_goal(fy)))
    return 0


async def _report(fy: int, round_number: int | None, out: Path) -> int:
    import time

    from reports.files import build

    started = time.perf_counter()
    report, paths = await build(fy, round_number, out)
    for path in paths:
        print(f"written: {path}")
    print(
        f"FY {fy}{f' round {round_number}' if round_number else ''}: {report.total.staff} staff, "
        f"{report.total.met} met the target, {len(report.certificates)} approved certificates "
        f"({time.perf_counter() - started:.1f} s)"
    )
    return 0


def _reminder_commands(sub: argparse._SubParsersAction) -> None:
    """`reminders preview|run`: what the deadline reminder sweep would send on a day, or one sweep now."""
    reminders = sub.add_parser("reminders", help="preview or run the deadline reminder sweep")
    verbs = reminders.add_subparsers(dest="reminders_command")
    p = verbs.add_parser("preview", help="print who would get which reminder on a day (sends nothing)")
    p.add_argument("--date", type=date.fromisoformat, required=True, help="YYYY-MM-DD (CE), at REMINDER_TIME")
    p = verbs.add_parser(
        "run", help="queue the reminders due at a moment through the outbox; the running service delivers them"
    )
    p.add_argument(
        "--now", type=dt.datetime.fromisoformat, help="e.g. 2027-03-24T09:00:00+07:00 (default: now; no offset: TZ)"
    )


class _QueueOnly:
    """Delivery for a command: rows stay in the outbox, where the running service's sweep delivers them."""

    def send_soon_many(self, message_ids: list[int]) -> None:
        """Leave the rows for the service."""

    async def drain(self, timeout: float = 10.0) -> None:
        """Nothing in flight."""


async def _reminders(settings: Settings, args: argparse.Namespace) -> int:
    from bot.channels.line import LineChannel

    # Reading LINE's message allowance needs the channel's client; nothing is sent through it here.
    line = LineChannel(settings) if settings.line_enabled else None
    try:
        return await _reminders_with(settings, args, line)
    finally:
        if line is not None:
            await line.close()


async def _reminders_with(settings: Settings, args: argparse.Namespace, line: LineChannel | None) -> int:
    from types import SimpleNamespace
    from zoneinfo import ZoneInfo

    from bot.app import CAPABILITIES
    from bot.sending import Notifier
    from scheduler import line_allowance
    from scheduler.deadline_report import send_deadline_reports
    from scheduler.digests import send_digests
    from scheduler.reminders import Schedule, due_reminders, reminder_reply, send_reminders

    schedule = Schedule.from_settings(settings)
    notifier = Notifier(CAPABILITIES, _QueueOnly(), allowances={"line": line.allowance} if line else {})  # type: ignore[arg-type]
    if args.reminders_command == "run":
        now = args.now or dt.datetime.now(dt.UTC)
        if now.tzinfo is None:
            now = now.replace(tzinfo=ZoneInfo(settings.tz))
        services = SimpleNamespace(settings=settings, notifier=notifier)
        queued = await send_reminders(services, now)  # type: ignore[arg-type]
        print(f"{queued} reminder(s) queued as of {now.isoformat()}; the running service delivers them")
        digests = await send_digests(services, now)
        reports = await send_deadline_reports(services, now)
        print(f"{digests} supervisors' digest(s) and {reports} admins' deadline report(s) queued")
        return 0
    now = schedule.moment(args.date)
    if schedule.is_quiet(now):
        print(f"{now:%Y-%m-%d %H:%M} falls in QUIET_HOURS ({settings.quiet_hours}): nothing would be sent then")
        return 0
    due = await due_reminders(now, schedule)
    await _preview_digests(settings, now)
    if not due:
        print(f"no reminders due on {args.date} at {settings.reminder_time} (or all of them were already sent)")
        return 0
    window = due[0].window
    print(
        f"FY {window.fiscal_year} round {window.round}, deadline {window.deadline}: "
        f"the reminder {window.offset_days} day(s) before, as of {now:%Y-%m-%d %H:%M}"
    )
    for item in due:
        reply = reminder_reply(item)
        print(f"\n{item.employee_code}  {item.display_name}  ->  {', '.join(sorted(set(item.channels)))}")
        print("    " + "\n    ".join(reply.text.splitlines()))
    # One push per LINE chat: the reminder is a single message, and LINE counts each push once.
    line_messages = line_allowance.line_messages(due)
    print(f"\n{len(due)} reminder(s); LINE messages it would use: {line_messages}")
    if line is None:
        print("LINE is not configured: its message allowance was not read")
        return 0
    allowance = await notifier.allowance("line")
    if not allowance.known:
        print("LINE message allowance left this month: unknown (the quota could not be read; see the log)")
    elif allowance.left is None:
        print("LINE message allowance left this month: no limit set")
    else:
        print(f"LINE message allowance left this month: {allowance.left}")
        planned = line_allowance.plan(due, allowance)
        if planned.short:
            print(
                f"not enough: {planned.moved} would get it on Telegram instead, "
                f"{len(planned.held_back)} would wait for a later sweep, and the admins would be told"
            )
    return 0


async def _preview_digests(settings: Settings, now: dt.datetime) -> None:
    """Print the supervisors' digests and the admins' deadline report due at `now` (sends nothing)."""
    from reports.data import collect
    from scheduler.deadline_report import due_admins, report_text
    from scheduler.digests import digest_reply, due_digests
    from scheduler.recipients import reminder_chats

    digests = await due_digests(now, settings)
    window, admins = await due_admins(now, settings)
    chats = await reminder_chats([d.staff_id for d in digests] + admins)
    for digest in digests:
        if digest.staff_id in chats:
            where = ", ".join(sorted({c.channel for c in chats[digest.staff_id]}))
            print(f"digest: {digest.employee_code}  {digest.display_name}  ->  {where}")
            print("    " + "\n    ".join(digest_reply(digest).text.splitlines()))
    if window is not None and admins:
        report = await collect(window.fiscal_year, window.round, with_certificates=False)
        print(f"deadline report FY {window.fiscal_year} round {window.round} to {sum(a in chats for a in admins)} admin(s):")
        print("    " + "\n    ".join(report_text(window, report).splitlines()))
    print(f"{sum(d.staff_id in chats for d in digests)} supervisors' digest(s)\n")


def _broadcast_command(sub: argparse._SubParsersAction) -> None:
    """`broadcast`: a circular notice from the command line (long texts, scripts); the preview unless --yes."""
    p = sub.add_parser(
        "broadcast", help="preview a circular notice, or with --yes store it for the running service to send"
    )
    p.add_argument("--subject", required=True, help="เรื่อง (up to 300 characters)")
    p.add_argument("--body-file", type=Path, required=True, help="UTF-8 text file with the body")
    p.add_argument("--doc-no", help="document number (ที่ ...)")
    p.add_argument("--reply-by", type=date.fromisoformat, help="reply deadline, YYYY-MM-DD (CE)")
    p.add_argument("--attach", type=Path, action="append", default=[], help="PDF, JPEG or PNG (up to 3; repeat)")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--all", action="store_true", help="every active staff member")
    who.add_argument("--units", help="U1,U2: units by exact name (or path 'A > B')")
    who.add_argument("--supervisors", action="store_true", help="supervisors only")
    who.add_argument("--behind", action="store_true", help="staff below target this round")
    who.add_argument("--codes", help="E1,E2: employee codes")
    p.add_argument("--with-subunits", action="store_true", help="with --units: the units below them too")
    p.add_argument("--ack", action="store_true", help="recipients must press รับทราบ")
    p.add_argument("--urgent", action="store_true", help="send inside quiet hours too")
    p.add_argument("--at", type=dt.datetime.fromisoformat, help="send at, e.g. 2027-01-15T09:00 (no offset: TZ)")
    p.add_argument(
        "--line-overflow", choices=("telegram", "stop"),
        help="when LINE's monthly allowance is short: Telegram for those on both then stop, or stop and report",
    )
    p.add_argument("--yes", action="store_true", help="store the notice (without it: print the preview only)")


def _broadcast_audience(args: argparse.Namespace, units: list[Any]) -> dict[str, Any] | str:
    """The audience rule the arguments name, or an error message."""
    if args.all or args.supervisors or args.behind:
        return {"kind": "all" if args.all else "supervisors" if args.supervisors else "behind"}
    if args.codes:
        codes = [c for c in (part.strip() for part in args.codes.replace(" ", ",").split(",")) if c]
        return {"kind": "codes", "codes": codes} if codes else "--codes names no employee code"
    picked: list[int] = []
    for wanted in (part.strip() for part in args.units.split(",")):
        found = [u for u in units if wanted in (u.name, u.path)]
        if not found:
            known = "\n  ".join(u.path for u in units) or "(none: import a roster first)"
            return f"unknown unit {wanted!r}; the units are:\n  {known}"
        if len(found) > 1:
            return f"{wanted!r} names several units; use the path:\n  " + "\n  ".join(u.path for u in found)
        picked.append(found[0].id)
    return {"kind": "units", "units": picked, "subunits": args.with_subunits}


async def _broadcast(settings: Settings, args: argparse.Namespace) -> int:
    from bot.channels.line import LineChannel

    # Reading LINE's message allowance needs the channel's client; nothing is sent through it here.
    line = LineChannel(settings) if settings.line_enabled else None
    try:
        return await _broadcast_with(settings, args, line)
    finally:
        if line is not None:
            await line.close()


async def _broadcast_with(settings: Settings, args: argparse.Namespace, line: LineChannel | None) -> int:
    import hashlib
    import time
    from zoneinfo import ZoneInfo

    from bot.app import CAPABILITIES
    from bot.sending import Notifier
    from fiscal.calendar import today_bangkok
    from handlers.notice_card import notice_replies
    from handlers.notice_compose import MAX_BODY, MAX_DOC_NO, MAX_SUBJECT
    from handlers.notice_preview import (
        ATTACHMENT_KINDS, MAX_ATTACHMENTS, attachment_kind, draft_notice, preview, unit_choices,
    )
    from storage import notices
    from storage.files import file_store

    def fail(message: str) -> int:
        print(message, file=sys.stderr)
        return 2

    zone = ZoneInfo(settings.tz)
    subject = " ".join(args.subject.split())
    try:
        body = args.body_file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        return fail(f"cannot read {args.body_file}: {exc}")
    if not subject or len(subject) > MAX_SUBJECT:
        return fail(f"--subject must have 1 to {MAX_SUBJECT} characters")
    if not body:
        return fail(f"{args.body_file} is empty")
    if len(body) > MAX_BODY * 25:
        return fail(f"the body has {len(body)} characters: put a text that long into a PDF and --attach it")
    if args.doc_no and len(args.doc_no) > MAX_DOC_NO:
        return fail(f"--doc-no has more than {MAX_DOC_NO} characters")
    if args.reply_by and args.reply_by < today_bangkok():
        return fail(f"--reply-by {args.reply_by} is in the past")
    if len(args.attach) > MAX_ATTACHMENTS:
        return fail(f"at most {MAX_ATTACHMENTS} attachments")
    if args.with_subunits and not args.units:
        return fail("--with-subunits goes with --units")
    files: list[tuple[bytes, dict[str, Any]]] = []
    for path in args.attach:
        try:
            data = path.read_bytes()
        except OSError as exc:
            return fail(f"cannot read {path}: {exc}")
        kind = attachment_kind(data[:1024])
        if kind is None:
            return fail(f"{path}: only PDF, JPEG and PNG files can be attached")
        if len(data) > settings.max_upload_bytes:
            return fail(f"{path} is larger than MAX_UPLOAD_BYTES ({settings.max_upload_bytes} bytes)")
        meta = {"sha256": hashlib.sha256(data).hexdigest(), "name": path.name, "mime": ATTACHMENT_KINDS[kind], "size": len(data)}
        files.append((data, meta))
    now = dt.datetime.now(dt.UTC)
    send_at = now.timestamp()
    if args.at is not None:
        at = args.at if args.at.tzinfo else args.at.replace(tzinfo=zone)
        if at <= now:
            return fail(f"--at {args.at.isoformat()} is in the past")
        send_at = at.timestamp()
    audience = _broadcast_audience(args, await unit_choices())
    if isinstance(audience, str):
        return fail(audience)
    notice = draft_notice(
        subject=subject, body=body, doc_no=args.doc_no, reply_by=args.reply_by, attachments=[m for _, m in files],
        audience=audience, ack_required=args.ack, urgent=args.urgent, line_overflow=args.line_overflow or "telegram",
        send_at=send_at,
    )
    notifier = Notifier(CAPABILITIES, _QueueOnly(), allowances={"line": line.allowance} if line else {})  # type: ignore[arg-type]
    facts = await preview(notice, notifier.sending(), quiet=settings.quiet_span, zone=zone, now=now)

    def moment(ts: float) -> str:
        return f"{dt.datetime.fromtimestamp(ts, zone):%Y-%m-%d %H:%M} ({settings.tz})"

    if not args.yes:
        print("what a recipient on LINE sees:")
        for reply in notice_replies(notice, notifier.capabilities["line"]):
            print("    " + "\n    ".join(reply.text.splitlines()))
            print()
    print(f"recipients: {facts.people}")
    print(", ".join(f"on {channel}: {count}" for channel, count in facts.on.items()))
    if facts.unreachable:
        names = "; ".join(facts.unreachable_names) + (f"; and {facts.unreachable_more} more" if facts.unreachable_more else "")
        print(f"cannot be reached (not linked, or blocked the bot): {facts.unreachable}: {names}")
    if facts.unknown_codes:
        print(f"unknown employee codes (left out): {', '.join(facts.unknown_codes)}")
    print(
        f"LINE messages it would use: {facts.line_messages} "
        f"({facts.line_people} people x {facts.line_requests} request(s) each)"
    )
    if line is None:
        print("LINE is not configured: its message allowance was not read")
    elif not facts.allowance.known:
        print("LINE message allowance left this month: unknown (the quota could not be read; see the log)")
    elif facts.allowance.left is None:
        print("LINE message allowance left this month: no limit set")
    else:
        print(f"LINE message allowance left this month: {facts.allowance.left}")
        if facts.short:
            print(
                f"not enough: {facts.line_and_telegram} of them are also on Telegram; "
                f"--line-overflow {args.line_overflow or '(not chosen)'}"
            )
    print(f"send at: {moment(facts.send_at)}" + (" (urgent: quiet hours ignored)" if args.urgent else ""))
    if facts.release_at:
        print(f"falls in QUIET_HOURS ({settings.quiet_hours}): it goes out at {moment(facts.release_at)}")
    if not args.yes:
        print("\nnothing was stored: add --yes to send it")
        return 0
    if not facts.people:
        return fail("nobody to send to: nothing was stored")
    if facts.short and not args.line_overflow:
        return fail("LINE's allowance is short: choose --line-overflow telegram or stop; nothing was stored")
    store = file_store(settings)
    try:
        for data, _ in files:
            await store.put(data)
    finally:
        await store.close()
    created = await notices.create(
        subject=notice.subject, body=notice.body, audience=audience, created_by=None, send_at=send_at,
        doc_no=notice.doc_no, reply_by=notice.reply_by, attachments=notice.attachments,
        ack_required=notice.ack_required, urgent=notice.urgent, line_overflow=notice.line_overflow,
    )
    logger.info("notice %s stored from the command line at %.0f", created.id, time.time())
    print(f"notice {created.id} stored; the running service sends it from {moment(facts.goes_at)}")
    return 0


async def _set_webhooks(settings: Settings) -> int:
    from bot.app import build_channels
    from bot.channels.line import LineChannel
    from bot.channels.telegram import TelegramChannel
    from storage.files import file_store

    if not settings.public_base_url:
        print("set PUBLIC_BASE_URL to the https address of this service", file=sys.stderr)
        return 2
    # Setting webhooks sends no file: the store is never opened, so there is nothing to close.
    channels = build_channels(settings, file_store(settings))
    try:
        tg = channels.get("telegram")
        if isinstance(tg, TelegramChannel):
            await tg.set_webhook(settings.public_base_url)
            print("Telegram webhook set")
            print(f"Telegram command menus: default and {await _telegram_menus(settings, tg)} chat(s) set")
        ln = channels.get("line")
        if isinstance(ln, LineChannel):
            from linebot.v3.messaging import SetWebhookEndpointRequest

            await ln.api.set_webhook_endpoint(
                SetWebhookEndpointRequest(endpoint=settings.public_base_url.rstrip("/") + "/webhook/line")
            )
            print("LINE webhook endpoint set")
    finally:
        for channel in channels.values():
            await channel.close()
    return 0


async def _line_menus(settings: Settings) -> int:
    if not settings.line_enabled and not settings.telegram_enabled:
        print("LINE and Telegram are off: set LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN", file=sys.stderr)
        return 2
    from bot.channels.line import LineChannel
    from bot.channels.line_menus import LineMenus
    from bot.menus import role_menus
    from handlers import ROUTERS

    entries = role_menus(ROUTERS)
    if settings.line_enabled:
        channel = LineChannel(settings)
        try:
            menus = LineMenus(channel, entries)
            result = await menus.ensure()
            linked = await menus.sync(force=True)
        finally:
            await channel.close()
        print(
            f"LINE rich menus: {len(result.created)} created ({', '.join(result.created) or '-'}), "
            f"{len(result.ids) - len(result.created)} kept, {result.deleted} outdated deleted; "
            f"{linked} user(s) linked"
        )
    if settings.telegram_enabled:
        print(f"Telegram command menus: default and {await _telegram_menus(settings)} chat(s) set")
    return 0


async def _telegram_menus(settings: Settings, channel: TelegramChannel | None = None) -> int:
    """Set Telegram's default command list and every linked chat's role list; how many chats."""
    from bot.channels.telegram import TelegramChannel  # noqa: F811 - heavy imports wait for the command
    from bot.channels.telegram_menus import TelegramMenus
    from bot.menus import role_menus
    from handlers import ROUTERS

    own = channel is None
    channel = channel or TelegramChannel(settings)
    try:
        return await TelegramMenus(channel, role_menus(ROUTERS)).sync(force=True)
    finally:
        if own:
            await channel.close()


def _notice_commands(sub: argparse._SubParsersAction) -> None:
    """`notices` and `notice ID [--out pending.xlsx]`: how circular notices stand, who has not acknowledged."""
    sub.add_parser("notices", help="list the latest circular notices with their counts")
    p = sub.add_parser("notice", help="one circular notice: counts and who has not acknowledged, by unit")
    p.add_argument("notice_id", type=int)
    p.add_argument("--out", type=Path, help="also write the list as XLSX (the chat's ส่งออก Excel)")


def _notice_day(notice: Any) -> str:
    """The day it went out, or when it is scheduled (Asia/Bangkok, ISO)."""
    from fiscal.thai_dates import BANGKOK
    from reports.notice_pending import sent_on

    day = sent_on(notice)
    if day is not None:
        return day.isoformat()
    return f"{notice.status} {dt.datetime.fromtimestamp(notice.send_at, BANGKOK):%Y-%m-%d %H:%M}"


async def _notices_table(limit: int = 50) -> int:
    from storage import notices

    latest = await notices.recent(limit)
    if not latest:
        print("no notices")
        return 0
    counts = await notices.counts([n.id for n in latest])
    print(f"{'id':>6}  {'subject':<40} {'sent':<22} {'total':>6} {'delivered':>9} {'unreachable':>11} {'held':>5} {'acknowledged':>12}")
    for n in latest:
        c = counts[n.id]
        subject = " ".join(n.subject.split())
        subject = subject if len(subject) <= 40 else subject[:39] + "…"
        print(
            f"{n.id:>6}  {subject:<40} {_notice_day(n):<22} {c.total:>6} {c.delivered:>9} {c.unreachable:>11} "
            f"{c.held:>5} {c.acknowledged:>12}"
        )
    return 0


async def _notice_detail(notice_id: int, out: Path | None) -> int:
    from reports.notice_pending import build, collect

    export = await (build(notice_id, out) if out else collect(notice_id))
    if export is None:
        print(f"no notice {notice_id}", file=sys.stderr)
        return 1
    notice, c = export.notice, export.counts
    print(f"notice {notice.id}: {notice.subject}")
    if notice.doc_no:
        print(f"doc no: {notice.doc_no}")
    print(f"sent: {_notice_day(notice)}  reply by: {notice.reply_by.isoformat() if notice.reply_by else '-'}  "
          f"status: {notice.status}  re-sent: {notice.resends}")
    print(f"total {c.total}, delivered {c.delivered}, unreachable {c.unreachable}, held {c.held}, "
          f"still sending {c.waiting}, acknowledged {c.acknowledged}")
    print(f"not acknowledged: {len(export.pending)}")
    unit = None
    for person in export.pending:
        if person.unit != unit:
            unit = person.unit
            print(f"  {unit or '-'}")
        print(f"    {person.employee_code:<12} {person.name:<40} {person.state}")
    if out:
        print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
