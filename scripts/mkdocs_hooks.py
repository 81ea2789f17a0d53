"""mkdocs hook: the docstrings' Sphinx roles (``:func:`~mlee.x.name```) read as plain code in the API pages.

mkdocstrings renders a role as ``:func:<code>~mlee.x.name</code>``; this hook drops the role and, for a name
written with ``~``, shows only its last part, as Sphinx would.
"""

from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(r":(?:func|class|meth|mod|attr|data|exc|obj):<code>(~?)([\w.]+)</code>")


def _plain(match: re.Match[str]) -> str:
    tilde, name = match.group(1), match.group(2)
    return f"<code>{name.rsplit('.', 1)[-1] if tilde else name}</code>"


def on_page_content(html: str, **kwargs: Any) -> str:
    """The page's HTML with every rendered Sphinx role made plain code.

    Parameters
    ----------
    html : str
        The page's content as mkdocs rendered it.
    **kwargs
        The page, config and files mkdocs passes (unused).

    Returns
    -------
    str
        The content with the roles replaced.
    """
    return _ROLE.sub(_plain, html)
