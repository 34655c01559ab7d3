"""The baseline: an aiohttp app that reads the body and answers 200, nothing else."""

from __future__ import annotations

import sys

from aiohttp import web  # noqa: I001


async def ok(request: web.Request) -> web.Response:
    """Read the body like a real webhook would, then answer."""
    await request.read()
    return web.Response(text="OK")


def main() -> None:
    """Serve on the port given as the first argument."""
    app = web.Application()
    app.router.add_post("/webhook/line", ok)
    app.router.add_post("/webhook/telegram", ok)
    # The same event loop as the service, so the comparison is of the work, not the loop.
    from bot.__main__ import _event_loop

    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None, loop=_event_loop())


if __name__ == "__main__":
    main()
