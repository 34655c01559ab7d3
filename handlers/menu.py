"""The main menu, help, and "who am I" for linked staff."""

from __future__ import annotations

from bot.events import Action, Button
from bot.routing import Router
from bot.turn import Turn
from config.texts import t

router = Router("menu")


def menu_buttons() -> tuple[Button, ...]:
    """The main menu's choices."""
    return (
        Button(t("menu.btn_submit"), Action("menu.submit")),
        Button(t("menu.btn_progress"), Action("menu.progress")),
        Button(t("menu.btn_whoami"), Action("menu.whoami")),
        Button(t("menu.btn_help"), Action("menu.help")),
    )


def show_menu(turn: Turn) -> None:
    """Answer with the menu card."""
    assert turn.person is not None
    turn.reply("menu.text", title_key="menu.title", buttons=menu_buttons(), name=turn.person.first_name)


@router.command("menu", "เมนู", "start", "เริ่ม", global_=True, menu="menu.title", menu_order=0, tile=False)
async def menu(turn: Turn) -> None:
    """Show the menu."""
    show_menu(turn)


@router.action("menu.open")
async def menu_button(turn: Turn) -> None:
    """Show the menu from a button."""
    show_menu(turn)


@router.command("help", "วิธีใช้", "ช่วยเหลือ", "?", global_=True, menu="menu.btn_help", menu_order=90)
@router.action("menu.help")
async def help_text(turn: Turn) -> None:
    """What the bot can do, with admin extras for admins."""
    turn.reply("menu.help")
    if "supervisor" in turn.roles or "admin" in turn.roles:
        turn.reply("menu.help_supervisor")
        turn.reply("progress.help_supervisor")
    if "admin" in turn.roles:
        turn.reply("menu.help_admin")
        turn.reply("progress.help_admin")


@router.command(
    "me", "whoami", "ฉันคือใคร", global_=True, menu="menu.btn_whoami", menu_order=80, tile=False
)
@router.action("menu.whoami")
async def whoami(turn: Turn) -> None:
    """The sender's roster entry."""
    person = turn.person
    assert person is not None
    await person.fetch_related("unit", "supervisor")
    none = t("whoami.none")
    roles = ", ".join(t(f"whoami.role_{r}") for r in ("staff", "supervisor", "admin") if r in turn.roles)
    turn.reply(
        "whoami.text",
        name=person.display_name,
        code=person.employee_code,
        position=person.position or none,
        unit=person.unit.name if person.unit else none,
        supervisor=person.supervisor.display_name if person.supervisor else none,
        roles=roles,
    )


@router.command("submit", "ส่งใบประกาศ", "ส่งใบประกาศนียบัตร", menu="menu.btn_submit", menu_order=10)
@router.action("menu.submit")
async def submit_hint(turn: Turn) -> None:
    """How to send a certificate."""
    turn.reply("menu.submit_hint")
