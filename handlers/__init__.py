"""Channel-neutral conversation logic, one module per feature, each exporting `router`.

`ROUTERS` is the order in which routes are tried: specific features first,
the fallback last (as aiogram's include_routers).
"""

from handlers import approvals, certificates, fallback, linking, menu, progress, reports, roster, targets

ROUTERS = (
    linking.router,
    roster.router,
    approvals.router,
    certificates.router,
    progress.router,
    targets.router,
    reports.router,
    menu.router,
    fallback.router,
)
