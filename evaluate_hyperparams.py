#!/usr/bin/env python
"""Random hyperparameter search per dataset and method (see README, "Search hyperparameters").

python evaluate_hyperparams.py                              # the four bundled datasets x all ten methods
python evaluate_hyperparams.py --dataset digits --model "Random Forest" --n-iter 50
"""

import sys

from mlee.cli.evaluate import search_main

if __name__ == "__main__":
    sys.exit(search_main())
