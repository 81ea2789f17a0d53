"""``python -m mlee.label_generator``: write energy labels; see :mod:`mlee.label.cli` and ``--help``."""

from __future__ import annotations

import sys

from mlee.label.cli import main

if __name__ == "__main__":
    sys.exit(main())
