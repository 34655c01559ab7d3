"""Channel-neutral conversation logic, one module per feature, each exporting `router`.

`ROUTERS` is the order in which routes are tried after the rules of `bot.routing`
(global commands first, then the routes of a pending-input state): specific features
first, the fallback last (as aiogram's include_routers). Roles and menu entries are
declared on the routes themselves.
"""

from handlers import approvals, certificates, days_off, fallback, linking, menu, progress, reminders, reports, roster, targets
from handlers import chat_presence, my_data, notice_ack, notice_compose, notices, privacy, reminder_settings

ROUTERS = (
    chat_presence.router,
    privacy.router,
    my_data.router,
    linking.router,
    roster.router,
    approvals.router,
    certificates.router,
    progress.router,
    reminders.router,
    notice_ack.router,
    notices.router,
    notice_compose.router,
    reminder_settings.router,
    targets.router,
    days_off.router,
    reports.router,
    menu.router,
    fallback.router,
)
