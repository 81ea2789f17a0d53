"""Which plotly.js the page loads: the basic partial bundle where it is installed, else Dash's full bundle.

ELEx draws scatter and bar traces only, which plotly.js's basic bundle (scatter, bar, pie; npm package
``plotly.js-basic-dist-min``) holds at a quarter of the full bundle's size (1.2 MB against 4.8 MB). The browser
evaluates the full bundle in 1-2 s on a small machine, and the first plot waits for it; the basic one takes a
quarter of that. ``scripts/fetch_plotly_basic.sh`` installs it (the release matching the installed plotly's
plotly.js, from the npm registry) into ``mlee/elex/assets/vendor/``, where Dash serves it with the page's other
assets, so ``window.Plotly`` is defined before any graph needs it and Dash never loads its own copy. Without it,
or with a release other than the installed plotly's, the full bundle is used and a log line says so.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

log = logging.getLogger(__name__)

BASIC_NAME = "plotly-basic.min.js"
#: the release named in the bundle's first comment ("plotly.js (basic - minified) v4.1.1")
_VERSION = re.compile(rb"plotly\.js \(basic[^)]*\) v(\d+\.\d+\.\d+)")


def basic_bundle_problem(assets: Path) -> str | None:
    """Why the basic bundle in ``assets/vendor`` cannot be used (missing, another release), None when it can.

    Parameters
    ----------
    assets
        The app's assets folder.

    Returns
    -------
    str or None
        The reason, for the log line; None when the page uses the basic bundle.
    """
    path = assets / "vendor" / BASIC_NAME
    try:
        with open(path, "rb") as handle:
            head = handle.read(400)
    except OSError:
        return f"{path} is not installed (scripts/fetch_plotly_basic.sh installs it)"
    from plotly.offline import get_plotlyjs_version

    found, wanted = _VERSION.search(head), get_plotlyjs_version()
    if found is None or found.group(1).decode() != wanted:
        release = found.group(1).decode() if found else "unknown"
        return (f"{path} is plotly.js {release}, the installed plotly draws with {wanted}; run "
                f"scripts/fetch_plotly_basic.sh again")
    return None


def assets_ignore(assets: Path) -> str:
    """The ``assets_ignore`` pattern of the Dash app: the basic bundle's name where it cannot be used (logged)."""
    problem = basic_bundle_problem(assets)
    if problem is None:
        return ""
    log.warning("the page loads the full plotly.js bundle (its first plot waits 1-2 s longer): %s", problem)
    return re.escape(BASIC_NAME) + "$"
