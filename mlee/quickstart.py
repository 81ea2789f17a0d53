"""``python -m mlee.quickstart``: the whole chain on a small slice; see :mod:`mlee.cli.quickstart` and ``--help``."""

from __future__ import annotations

import sys

from mlee.cli.quickstart import main

if __name__ == "__main__":
    sys.exit(main())
