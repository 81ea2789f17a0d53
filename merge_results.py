#!/usr/bin/env python
"""Merge experiment folders (logs/sklearn/train_*, infer_*) into one JSON per experiment (results/sklearn).

See ``python merge_results.py --help`` and the README section "Merging results".
"""

import sys

from mlee.cli.merge import main

if __name__ == "__main__":
    sys.exit(main())
