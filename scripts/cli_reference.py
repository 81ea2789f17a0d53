"""Write docs/reference/cli.md: the ``--help`` of every mlee command, from the parsers themselves.

Usage: python scripts/cli_reference.py           (writes the page)
       python scripts/cli_reference.py --check   (exit 1 when the page is not what the parsers give)
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PAGE = ROOT / "docs" / "reference" / "cli.md"
WIDTH = "100"

#: (installed command, repository script, module, function returning the parser)
COMMANDS = [
    ("mlee-evaluate", "python evaluate_sklearn.py", "mlee.cli.evaluate", "build_evaluate_parser"),
    ("mlee-search", "python evaluate_hyperparams.py", "mlee.cli.evaluate", "build_search_parser"),
    ("mlee-merge", "python merge_results.py", "mlee.cli.merge", "build_parser"),
    ("mlee-label", "python -m mlee.label_generator", "mlee.cli.label", "build_parser"),
    ("mlee-paper", "python create_paper_results.py", "mlee.cli.paper", "build_parser"),
    ("mlee-elex", "python elex.py", "mlee.cli.elex", "build_parser"),
    ("mlee measure", "python -m mlee measure", "mlee.cli.measure", "build_parser"),
    ("", "python -m mlee.quickstart", "mlee.cli.quickstart", "build_parser"),
]


def _help(module: str, function: str, prog: str) -> str:
    """The parser's help text at a fixed width, with ``prog`` as its name."""
    import importlib

    parser = getattr(importlib.import_module(module), function)()
    parser.prog = prog
    return parser.format_help().rstrip()


def render() -> str:
    """The page's text.

    Returns
    -------
    str
        Markdown: one section per command with its ``--help`` in a text block.
    """
    os.environ["COLUMNS"] = WIDTH
    parts = ["# Command-line reference", "",
             "Every command's `--help`, generated from its parser by `python scripts/cli_reference.py` (a test "
             "checks that this page is current). Each command is installed as `mlee-*` wherever mlee is "
             "installed, and runs as the repository's script in a checkout.", ""]
    for command, script, module, function in COMMANDS:
        title = f"`{command}` (`{script}`)" if command else f"`{script}`"
        parts += [f"## {title}", "", "```text", _help(module, function, command or script), "```", ""]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Write the page, or with ``--check`` compare it.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default: the command line).

    Returns
    -------
    int
        0 when written or current, 1 when ``--check`` finds it stale.
    """
    parser = argparse.ArgumentParser(description="Write docs/reference/cli.md from the parsers.")
    parser.add_argument("--check", action="store_true", help="only check that the page is current")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not PAGE.is_file() or PAGE.read_text(encoding="utf-8") != text:
            print(f"{PAGE.relative_to(ROOT)} is stale: run python scripts/cli_reference.py", file=sys.stderr)
            return 1
        return 0
    from mlee.atomic import write_text_atomic

    write_text_atomic(PAGE, text)
    print(f"wrote {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
