"""Build and run the ELEx Dash app.

``create_app(directory)`` loads the results once (the only thing the server holds) and returns a Dash
app whose every asset is served locally (no CDN: it runs offline); plotly.js is its basic bundle where
installed (:mod:`mlee.elex.plotly_bundle`). ``run`` serves it with Flask's
threaded server, bound to 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mlee.extras import require

require("elex", "dash")
from dash import Dash

from mlee.elex.callbacks import asked_view, first_view, register_callbacks
from mlee.elex.data import ExplorerData
from mlee.elex.live_data import LiveData
from mlee.elex.plotly_bundle import assets_ignore
from mlee.elex.run_manager import RunOptions
from mlee.elex.runs_callbacks import attach_runs
from mlee.elex.layout import FIRST_THEME, fill, page
from mlee.elex.request_guard import InvalidRequest, install as install_request_guard
from mlee.elex.state import View, axes_for_task, default_settings_store
from mlee.elex.uploads import MAX_UPLOAD_BYTES

log = logging.getLogger(__name__)

ASSETS = Path(__file__).resolve().parent / "assets"
#: largest request the server accepts: an upload (base64 grows it by 4/3) plus the callback's other state
MAX_REQUEST_BYTES = 2 * MAX_UPLOAD_BYTES + 1024 * 1024


def default_view(data: ExplorerData) -> View:
    """The first view of the page: the first dataset (by display name), inference, energy vs. top-1 (vs. R^2 for
    a regression dataset)."""
    dataset = data.dataset_keys()[0]
    tasks = data.tasks_of(dataset)
    view = View(dataset=dataset, task="inference" if "inference" in tasks or not tasks else tasks[0])
    return axes_for_task(view, data.learning_task_of(dataset))


def visited_view(data: ExplorerData, default: View) -> View:
    """The view the page being loaded asks for in its address: Dash requests the layout from the page, so the
    request's ``Referer`` carries the page's query (``?dataset=...``). ``default`` outside a request, without a
    referrer, or for a query that names nothing known."""
    from flask import has_request_context, request

    if not has_request_context() or not request.referrer:
        return default
    try:
        return asked_view(data, urlsplit(request.referrer).query, default)
    except InvalidRequest:
        return default


def create_app(directory: str | Path = "results", *, data: ExplorerData | None = None,
               title: str = "ELEx - Energy Label Exploration", runs: RunOptions | None = None) -> Dash:
    """The ELEx app for the results in ``directory`` (or for an already loaded ``data``); with ``runs``, the
    page can launch experiments (see :mod:`mlee.elex.run_manager`) and, once it did, shows their merged
    results too.

    Raises FileNotFoundError / ValueError with a clear message when the folder is missing or empty.
    """
    from mlee.rating import RATING_MODES

    data = LiveData(directory, data=data)
    app = Dash(
        __name__, title=title, assets_folder=str(ASSETS), serve_locally=True, update_title=None,
        external_stylesheets=[], external_scripts=[], suppress_callback_exceptions=False,
        assets_ignore=assets_ignore(ASSETS),
    )
    app.server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    install_request_guard(app.server)
    store = default_settings_store()
    view = default_view(data)
    manager, runs_panel = attach_runs(app, data, runs)

    def layout() -> Any:
        """The page, built per visit: results reloaded since the start (runs launched here) are in its choices,
        and it comes with the figures of the view its address asks for, drawn (no callback before the first
        plot)."""
        shown = visited_view(data, view)
        root = fill(page(data, shown, store, tuple(RATING_MODES)), first_view(data, shown, store, FIRST_THEME))
        root.children.append(runs_panel())
        return root

    app.layout = layout
    register_callbacks(app, data, view, store)
    app._elex_runs = manager  # type: ignore[attr-defined]  # closed by the command line
    app._elex_data = data  # type: ignore[attr-defined]  # for benchmarks and tests
    _import_before_serving()
    return app


def _import_before_serving() -> None:
    """Import PIL.Image now if it is installed. Plotly's JSON encoder uses it when it is in
    ``sys.modules``; a request thread that imports it (reportlab does, for the label) while another
    thread encodes an answer made that one see it half-imported and fail (seen under 10 users)."""
    try:
        import PIL.Image  # noqa: F401
    except ImportError:
        pass


def run(app: Dash, host: str = "127.0.0.1", port: int = 8050, debug: bool = False, verbose: bool = False,
        **kwargs: Any) -> None:
    """Serve ``app`` (threaded: several users at once) until interrupted.

    Parameters
    ----------
    app : Dash
        The app of :func:`create_app`.
    host, port : str, int
        Where to serve.
    debug : bool
        Dash debug mode (dev tools, detailed errors; logs every request).
    verbose : bool
        Log every request and the servers' start-up lines; by default only warnings and errors.
    **kwargs
        Passed to ``Dash.run``.
    """
    if not (verbose or debug):
        quiet_server(app)
    log.info("ELEx on http://%s:%d/", host, port)
    app.run(host=host, port=port, debug=debug, threaded=True, use_reloader=False, **kwargs)


def quiet_server(app: Dash) -> None:
    """Keep the development server to warnings and errors: no line per request, no start-up banner (the
    command prints where it serves).

    Parameters
    ----------
    app : Dash
        The app about to be served.
    """
    import flask.cli

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app.logger.setLevel(logging.WARNING)
    flask.cli.show_server_banner = lambda *args, **kwargs: None
