"""The card that shows what was read from a certificate, with confirm / edit / cancel buttons."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.events import Action, Button, Reply
from fiscal.thai_dates import long_date, short_date
from config.texts import t
from storage.submissions import hours_value
from storage.models import Submission


def field_names(fields: list[str]) -> str:
    """Thai names of fields, comma separated."""
    return ", ".join(t(f"cert.field_{f}") for f in fields)


def warning_text(warning: dict[str, Any]) -> str:
    """One warning line in Thai."""
    code = warning["code"]
    if code == "outside_window":
        return t(
            "cert.warn_outside_window",
            start=short_date(dt.date.fromisoformat(warning["start"])),
            end=short_date(dt.date.fromisoformat(warning["end"])),
        )
    if code == "name_mismatch":
        return t("cert.warn_name_mismatch", read=warning["read"], roster=warning["roster"])
    if code == "missing_fields":
        return t("cert.warn_missing_fields", fields=field_names(warning["fields"]))
    return t(f"cert.warn_{code}")


def card_text(submission: Submission, code: str | None) -> str:
    """The fields as a short Thai block, warnings last."""
    unknown = t("cert.unknown_value")
    period = (
        t("cert.card_period", fy=submission.fiscal_year, round=submission.round)
        if submission.fiscal_year
        else t("cert.card_no_period")
    )
    text = t(
        "cert.card",
        name=submission.name_read or unknown,
        kind=t(f"cert.kind_{submission.kind or 'unknown'}"),
        course=submission.course_title or unknown,
        code=code or t("cert.no_code"),
        hours=f"{hours_value(submission.hours)} ชั่วโมง" if submission.hours is not None else unknown,
        date=long_date(submission.completed_on) if submission.completed_on else unknown,
        issuers=", ".join(submission.issuers or []) or unknown,
        period=period,
    )
    if submission.warnings:
        lines = [t("cert.warnings_header"), *("• " + warning_text(w) for w in submission.warnings)]
        text += "\n\n" + "\n".join(lines)
    return text


def certificate_card(submission: Submission, code: str | None) -> Reply:
    """The confirmation card."""
    sid = str(submission.id)
    return Reply(
        title=t("cert.card_title") + f" #{sid}",
        text=card_text(submission, code),
        buttons=(
            Button(t("cert.btn_confirm"), Action("cert.confirm", (sid,))),
            Button(t("cert.btn_edit"), Action("cert.edit", (sid,))),
            Button(t("cert.btn_cancel"), Action("cert.cancel", (sid,))),
        ),
    )
