"""Who may launch runs from an ELEx page: running code from a web page is dangerous.

- ``--read-only``: no "Run experiments" panel at all (public hosting).
- ELEx listening on a loopback address (127.0.0.1, ::1, localhost): launching is on, for requests that name a
  loopback host (a page of another site that resolves its name to 127.0.0.1 is refused: DNS rebinding).
- ``--allow-runs``: launching is on whatever the address, and every launch or cancel must carry the secret token
  printed when ELEx starts.
- Otherwise the panel is shown disabled, saying why and how to enable it.

A request that names another site in its ``Origin`` (host, port or scheme) is refused. A request that came through
a proxy (it carries ``Forwarded``, ``X-Forwarded-*`` or ``X-Real-IP``) says nothing about who sent it: a proxy on
this machine forwards any client with ``Host: 127.0.0.1``. Without a token such requests are refused; behind a
proxy, start ELEx with ``--allow-runs`` and give its token.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

LOOPBACK_NAMES = ("localhost",)
#: request headers a proxy adds: with any of them, the client is not known to be on this machine
PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Real-IP")


def is_loopback(host: str) -> bool:
    """True for a loopback address or ``localhost`` (``host`` may carry a ``:port`` and IPv6 brackets)."""
    name = host.strip().lower()
    if name.startswith("["):
        name = name[1:].split("]", 1)[0]
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class RunAccess:
    """Whether this server launches runs. ``visible``: the panel is shown; ``enabled``: launching works;
    ``reason``: what the panel says when disabled; ``token``: the secret every request must carry (None: no
    token, loopback only)."""

    visible: bool
    enabled: bool
    reason: str = ""
    token: str | None = None

    def allows(self, host: str | None, origin: str | None, token: object, scheme: str = "http",
               proxied: bool = False) -> str | None:
        """Why a launch/cancel request with HTTP ``Host`` ``host``, ``Origin`` ``origin``, the page's ``token``,
        the request's ``scheme`` and ``proxied`` (it carries a header of :data:`PROXY_HEADERS`) is refused, or None
        when it is allowed."""
        if not self.enabled:
            return self.reason
        if origin:
            parts = urlsplit(origin)
            if (parts.scheme.lower(), parts.netloc.lower()) != (scheme.lower(), (host or "").lower()):
                return "Refused: the request comes from another site."
        if self.token is not None:
            if not isinstance(token, str) or not token or not hmac.compare_digest(token.encode(), self.token.encode()):
                return "Enter the run token that ELEx printed when it started."
            return None
        if proxied:
            return ("Refused: this request came through a proxy, so ELEx cannot tell that it comes from this "
                    "machine. Behind a proxy, restart ELEx with --allow-runs and enter the token it prints.")
        if not is_loopback(host or ""):
            return "Refused: launching is allowed from this machine only (open ELEx at http://127.0.0.1)."
        return None


def run_access(host: str, allow_runs: bool, read_only: bool, workers: int = 0) -> RunAccess:
    """The policy for a server bound to ``host`` with the given flags (``workers``: gunicorn processes of
    ``--workers``; their sweeps would live in one process each, so launching is off)."""
    if read_only:
        return RunAccess(visible=False, enabled=False, reason="read-only")
    if workers:
        return RunAccess(True, False, "Launching runs is off: ELEx serves with several processes (--workers), "
                                      "which cannot share running sweeps. Restart without --workers to launch.")
    if allow_runs:
        return RunAccess(True, True, token=secrets.token_urlsafe(18))
    if is_loopback(host):
        return RunAccess(True, True)
    return RunAccess(True, False, f"Launching runs is off: ELEx listens on {host}, which other machines can reach. "
                                  f"Restart with --host 127.0.0.1, or add --allow-runs (a secret token is then "
                                  f"printed at start and asked for here).")
