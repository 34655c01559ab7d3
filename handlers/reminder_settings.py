"""`ตั้งค่าการแจ้งเตือน`: where a person's deadline reminders go, pausing this round, and the agency's switches.

Every button is checked again here when pressed: a channel the person has not linked,
a round that is no longer current or an admin switch pressed by someone who is not an
admin (the route's roles) changes nothing.
"""

from __future__ import annotations

import logging

from bot.events import Action, Button, Reply
from bot.routing import Router
from bot.turn import Turn
from config.texts import t
from fiscal.calendar import round_of, today_bangkok
from handlers.linking import channel_name
from storage import people, reminders

logger = logging.getLogger(__name__)
router = Router("reminder_settings")

# Channels a person can pick between; the web simulator is for trying the bot out.
CHOOSABLE = ("line", "telegram")
EVERY_CHAT = "all"
# Kinds of reminder an admin can turn off agency-wide (the sweeps check storage.reminders.kinds_off).
KINDS = reminders.SWITCHABLE_KINDS

CHANNEL_ACTION = "rs.ch"
PAUSE_ACTION = "rs.pause"
RESUME_ACTION = "rs.resume"
AGENCY_ACTION = "rs.agency"
KIND_ACTION = "rs.kind"


def _current_round() -> tuple[int, int]:
    period = round_of(today_bangkok())
    return period.fiscal_year, period.round or 1


async def _linked(person_id: int) -> list[str]:
    """The person's linked channels, in a fixed order."""
    return sorted({identity.channel for identity in await people.identities_of(person_id)})


async def settings_view(turn: Turn, notice: str | None = None) -> Reply:
    """The sender's reminder settings with the buttons that change them."""
    person = turn.person
    assert person is not None
    linked = await _linked(person.id)
    chosen = await reminders.choice_of(person)
    # A chosen channel that is no longer linked is ignored by the sweep: it sends to every linked chat.
    going_to = [chosen] if chosen in linked else linked
    fy, rnd = _current_round()
    paused = await reminders.is_paused(person, fy, rnd)
    lines = [notice] if notice else []
    where = t("reminder_settings.where_joiner").join(map(channel_name, going_to))
    lines.append(t("reminder_settings.where", where=where))
    lines.append(t("reminder_settings.round_paused" if paused else "reminder_settings.round_on", round=rnd, fy=fy))
    kinds_off = await reminders.kinds_off()
    off = [kind for kind in KINDS if kind in kinds_off]
    if off:
        lines.append(t("reminder_settings.agency_off", kinds=", ".join(t(f"reminder_settings.kind_{k}") for k in off)))
    buttons: list[Button] = []
    if all(channel in linked for channel in CHOOSABLE):
        lines.append(t("reminder_settings.choose_hint"))
        buttons += [Button(channel_name(c), Action(CHANNEL_ACTION, (c,))) for c in CHOOSABLE]
        buttons.append(Button(t("reminder_settings.btn_both"), Action(CHANNEL_ACTION, (EVERY_CHAT,))))
    if paused:
        buttons.append(Button(t("reminder_settings.btn_resume"), Action(RESUME_ACTION, (str(fy), str(rnd)))))
    else:
        buttons.append(Button(t("reminder_settings.btn_pause"), Action(PAUSE_ACTION, (str(fy), str(rnd)))))
    if "admin" in turn.roles:
        buttons.append(Button(t("reminder_settings.btn_agency"), Action(AGENCY_ACTION)))
    return Reply(text="\n".join(lines), title=t("reminder_settings.title"), buttons=tuple(buttons))


@router.command(
    "ตั้งค่าการแจ้งเตือน", "reminders", "แจ้งเตือน", menu="reminder_settings.menu", menu_order=85, tile=False
)
async def show_settings(turn: Turn) -> None:
    """Show where reminders go and whether this round is paused."""
    turn.reply_raw(await settings_view(turn))


@router.action(CHANNEL_ACTION)
async def choose_channel(turn: Turn, channel: str = "", *_: str) -> None:
    """Send reminders to one linked channel, or to every linked chat."""
    person = turn.person
    assert person is not None
    if channel != EVERY_CHAT and channel not in CHOOSABLE:
        turn.reply("common.button_expired")
        return
    if channel != EVERY_CHAT and channel not in await _linked(person.id):
        turn.reply("reminder_settings.not_linked", channel=channel_name(channel))
        return
    await reminders.choose(person, None if channel == EVERY_CHAT else channel)
    logger.info("staff %s chose reminders on %s", person.id, channel)
    turn.reply_raw(await settings_view(turn, t("reminder_settings.chosen")))


def _this_round(fy: str, round_number: str) -> tuple[int, int] | None:
    """The round a button names, if it is still the current one (an old button changes nothing)."""
    current = _current_round()
    return current if (fy, round_number) == tuple(map(str, current)) else None


@router.action(PAUSE_ACTION)
async def pause_round(turn: Turn, fy: str = "", round_number: str = "", *_: str) -> None:
    """Stop this round's reminders to the sender."""
    assert turn.person is not None
    current = _this_round(fy, round_number)
    if current is None:
        turn.reply("common.button_expired")
        return
    await reminders.pause(turn.person, *current)
    turn.reply_raw(await settings_view(turn, t("reminder_settings.paused", round=current[1])))


@router.action(RESUME_ACTION)
async def resume_round(turn: Turn, fy: str = "", round_number: str = "", *_: str) -> None:
    """Send this round's reminders to the sender again."""
    assert turn.person is not None
    current = _this_round(fy, round_number)
    if current is None:
        turn.reply("common.button_expired")
        return
    await reminders.resume(turn.person, *current)
    turn.reply_raw(await settings_view(turn, t("reminder_settings.resumed", round=current[1])))


async def agency_view(notice: str | None = None) -> Reply:
    """Which kinds of reminder are on for the whole agency, with a switch for each."""
    off = await reminders.kinds_off()
    lines = [notice] if notice else []
    buttons: list[Button] = []
    for kind in KINDS:
        name = t(f"reminder_settings.kind_{kind}")
        if kind in off:
            lines.append(t("reminder_settings.kind_off", kind=name))
            buttons.append(Button(t(f"reminder_settings.btn_on_{kind}"), Action(KIND_ACTION, (kind, "on"))))
        else:
            lines.append(t("reminder_settings.kind_on", kind=name))
            buttons.append(Button(t(f"reminder_settings.btn_off_{kind}"), Action(KIND_ACTION, (kind, "off"))))
    lines.append(t("reminder_settings.agency_hint"))
    return Reply(text="\n".join(lines), title=t("reminder_settings.agency_title"), buttons=tuple(buttons))


@router.command("ตั้งค่าการแจ้งเตือน หน่วยงาน", "แจ้งเตือน หน่วยงาน", roles=("admin",))
@router.action(AGENCY_ACTION, roles=("admin",))
async def show_agency(turn: Turn, *_: str) -> None:
    """Show the agency-wide switches (admins)."""
    turn.reply_raw(await agency_view())


@router.action(KIND_ACTION, roles=("admin",))
async def switch_kind(turn: Turn, kind: str = "", state: str = "", *_: str) -> None:
    """Turn one kind of reminder on or off for the whole agency (admins)."""
    if kind not in KINDS or state not in ("on", "off"):
        turn.reply("common.button_expired")
        return
    on = state == "on"
    await reminders.switch_kind(kind, on, by=turn.person)
    logger.info("staff %s turned %s reminders %s agency-wide", turn.person.id if turn.person else None, kind, state)
    key = "reminder_settings.switched_on" if on else "reminder_settings.switched_off"
    done = t(key, kind=t(f"reminder_settings.kind_{kind}"))
    turn.reply_raw(await agency_view(done))
