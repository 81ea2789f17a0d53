"""Requests ELEx refuses before or while answering them: an answer says what is wrong (HTTP 400 with a message),
never an internal error (500), and the server keeps serving.

- Callback requests (``/_dash-update-component``) are parsed once here: JSON nested too deep for the parser, or
  holding a number beyond the range of a float (a 400-digit integer), is refused before any callback runs.
- A callback that finds a value no page can send (a forged settings store, a URL search that is not text)
  raises :class:`InvalidRequest`; its message becomes the 400 answer.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

log = logging.getLogger(__name__)

DASH_UPDATE = "/_dash-update-component"
#: largest magnitude of a JSON number a page can mean (the largest float)
MAX_NUMBER = sys.float_info.max


class InvalidRequest(ValueError):
    """A request value no ELEx page sends; the message is the answer's body (HTTP 400)."""


def _unusable(value: Any) -> str | None:
    """Why a parsed JSON body cannot come from a page (a number out of float range), None when it can."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) > MAX_NUMBER:
            return "a number larger than any float"
    return None


def install(server: Any) -> None:
    """Check every callback request of the Flask ``server`` and answer :class:`InvalidRequest` with HTTP 400.

    Parameters
    ----------
    server
        The Flask app of the Dash app (``app.server``).
    """
    from flask import request

    def refuse(reason: str) -> tuple[dict[str, str], int]:
        log.warning("refused a request from %s: %s", request.remote_addr, reason)
        return {"message": reason}, 400

    @server.before_request
    def check_body() -> Any:
        if request.path != DASH_UPDATE or request.method != "POST":
            return None
        try:
            body = request.get_json(silent=False)  # cached: Dash reads the same parsed body
        except RecursionError:
            return refuse("Refused: the request is nested too deeply to be a page's request; reload the page.")
        reason = _unusable(body)
        return refuse(f"Refused: the request holds {reason}; reload the page.") if reason else None

    @server.errorhandler(InvalidRequest)
    def invalid(error: InvalidRequest) -> tuple[dict[str, str], int]:
        return refuse(str(error))
