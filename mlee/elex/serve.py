"""Serve ELEx with several worker processes (gunicorn), for many users at once.

ELEx keeps every user's state in the page (settings store, URL): any worker can answer any request, so
the server scales out by processes. The app and its results are loaded once in the master process and
shared with the forked workers (``preload_app``); each worker answers with a few threads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

#: threads per worker process: callbacks wait on little I/O, so a few are enough to overlap requests
THREADS = 4
#: seconds an idle keep-alive connection stays open (as nginx's default)
KEEPALIVE_S = 75


def serve_workers(make_app: Callable[[], Any], host: str, port: int, workers: int, threads: int = THREADS,
                  timeout_s: int = 120) -> None:
    """Serve the Dash app ``make_app()`` returns with gunicorn: ``workers`` processes of ``threads``
    threads each, bound to ``host:port``, until interrupted."""
    from mlee.extras import require

    require("elex", "gunicorn")
    from gunicorn.app.base import BaseApplication

    app = make_app()  # in the master: loaded once, shared with the forked workers

    class _Server(BaseApplication):
        def load_config(self) -> None:
            options = {"bind": f"{host}:{port}", "workers": workers, "worker_class": "gthread",
                       "threads": threads, "timeout": timeout_s, "preload_app": True, "accesslog": None,
                       # idle connections stay open as long as browsers keep them (gunicorn's 2 s closed
                       # them while a page was sending its next request: "connection reset")
                       "keepalive": KEEPALIVE_S,
                       "loglevel": "warning", "proc_name": "elex"}
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return app.server

    log.info("ELEx on http://%s:%d/ with %d worker processes x %d threads", host, port, workers, threads)
    _Server().run()
