"""ELEx, the Energy Label Exploration app: browse rated results, their labels and rating settings.

Usage:
    python elex.py [--directory results] [--host 127.0.0.1] [--port 8050] [--workers N] [--debug]
                   [--read-only | --allow-runs] [--cluster tcp://HOST:PORT | --scheduler-file FILE]

Example (the published results of the original study):
    python elex.py --directory ../shared/reference/published-results
"""

from __future__ import annotations

import sys

from mlee.cli.elex import main, parse_args  # noqa: F401 - parse_args is part of the script's interface

if __name__ == "__main__":
    sys.exit(main())
