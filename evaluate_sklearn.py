#!/usr/bin/env python
"""Train and evaluate scikit-learn classifiers and write experiment folders (see README, "Run experiments").

python evaluate_sklearn.py                                  # every dataset x method that has hyperparameters
python evaluate_sklearn.py --dataset wine --model "Logistic Regression" --repeats 3
"""

import sys

from mlee.cli.evaluate import evaluate_main

if __name__ == "__main__":
    sys.exit(evaluate_main())
