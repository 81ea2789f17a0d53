"""``mlee COMMAND`` (also ``python -m mlee COMMAND``): the commands of mlee that are not one of the repository's
scripts. Today: ``mlee measure -- PROGRAM ...`` (measure any program). The study's workflow has its own
commands: ``mlee-evaluate``, ``mlee-search``, ``mlee-merge``, ``mlee-label``, ``mlee-paper``, ``mlee-elex``.
"""

from __future__ import annotations

import sys
from typing import Callable

USAGE = ("usage: mlee COMMAND [ARG ...]\n\ncommands:\n"
         "  measure   run any program under mlee's meter: mlee measure -- python train.py\n\n"
         "the study's workflow: mlee-evaluate, mlee-search, mlee-merge, mlee-label, mlee-paper, mlee-elex "
         "(each with --help)")


def _measure(argv: list[str]) -> int:
    from mlee.cli.measure import main
    return main(argv)


COMMANDS: dict[str, Callable[[list[str]], int]] = {"measure": _measure}


def main(argv: list[str] | None = None) -> int:
    """Dispatch ``mlee COMMAND ARGS``; exit 2 with the list of commands for an unknown one."""
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if args else 2
    command = COMMANDS.get(args[0])
    if command is None:
        print(f"mlee: unknown command {args[0]!r}\n\n{USAGE}", file=sys.stderr)
        return 2
    return command(args[1:])


if __name__ == "__main__":
    sys.exit(main())
