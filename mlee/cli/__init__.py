"""Every command-line parser of mlee; nothing outside this package imports argparse."""

from __future__ import annotations

import functools
import os
import sys
from typing import Any, Callable


def program(default: str) -> str:
    """The name a command's usage line shows: the installed command's own name, else ``default``.

    Parameters
    ----------
    default : str
        The name shown when the program was not started as an installed ``mlee`` command (the repository's
        script name, e.g. ``"evaluate_sklearn.py"``, or ``"python -m mlee.label_generator"``).

    Returns
    -------
    str
        ``os.path.basename(sys.argv[0])`` when that is ``mlee`` or starts with ``mlee-`` (an entry point such
        as ``mlee-label``), else ``default``.
    """
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    if name.endswith(".exe"):
        name = name[:-4]
    return name if name == "mlee" or name.startswith("mlee-") else default


def reports_missing_extras(main: Callable[..., int]) -> Callable[..., int]:
    """Wrap a command's ``main`` so that a missing optional part prints one line naming the extra, exit 1.

    Parameters
    ----------
    main : callable
        The command's entry point, returning its exit status.

    Returns
    -------
    callable
        ``main``, returning 1 after printing ``error: ... pip install 'mlee[<extra>]'`` to stderr when it raised
        :class:`mlee.extras.MissingExtra`.
    """
    @functools.wraps(main)
    def wrapper(*args: Any, **kwargs: Any) -> int:
        from mlee.extras import MissingExtra

        try:
            return main(*args, **kwargs)
        except MissingExtra as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    return wrapper
