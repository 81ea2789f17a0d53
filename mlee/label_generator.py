"""``python -m mlee.label_generator``: write energy labels; see :mod:`mlee.cli.label` and ``--help``."""

from __future__ import annotations

import sys

from mlee.cli.label import main

if __name__ == "__main__":
    sys.exit(main())
